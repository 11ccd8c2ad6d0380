/*
 * loop.c: event loops in libscorch (include/scorch/trace.h): the generic helper (LOOP_WAIT just
 * before the loop waits, LOOP_WAKE just after) and libuv's, which puts the same two events in a
 * prepare handle (run right before libuv polls for I/O) and a check handle (right after).
 *
 * A loop is a call site of kind LOOP named by the program; its WAIT event carries the timeout
 * the loop waits with (ns, UINT64_MAX for none), from which scorch computes the lag (how late a
 * timed-out wait woke), the idle time (wait to wake) and the busy time (wake to the next wait).
 *
 * libscorch does not link libuv: scorch_loop_uv finds libuv's functions in the process with
 * dlsym (the program links libuv, so they are there) and uses only its stable 1.x ABI: the
 * handle types' numbers, uv_handle_size for the handles' sizes, and the `data` pointer that
 * starts every handle. The handles are unreferenced (uv_unref: they never keep the loop
 * alive) and live as long as the process (libuv owns a handle until it is closed, and closing
 * needs the loop running).
 */
#include "trace/runtime.h"

#include <dlfcn.h>
#include <stdlib.h>

struct scorch_loop {
	scorch_loc loc;
};

SCORCH_API scorch_loop *scorch_loop_new(const char *name)
{
	if (!scorch_trace_on_)
		return NULL;
	scorch_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->loc.name = name ? name : "loop";
	l->loc.file = "";
	l->loc.func = "";
	return l;
}

SCORCH_API void scorch_loop_wait(scorch_loop *loop, int64_t timeout_ns)
{
	sc_rt_thread *t;
	if (!loop || !(t = sc_rt_thread_get()))
		return;
	sc_rt_event(t, &loop->loc, SC_AGENT_LOC_LOOP, SC_AGENT_EV_LOOP_WAIT,
		    timeout_ns < 0 ? UINT64_MAX : (uint64_t)timeout_ns);
}

SCORCH_API void scorch_loop_wake(scorch_loop *loop)
{
	sc_rt_thread *t;
	if (!loop || !(t = sc_rt_thread_get()))
		return;
	sc_rt_event(t, &loop->loc, SC_AGENT_LOC_LOOP, SC_AGENT_EV_LOOP_WAKE, 0);
}

SCORCH_API void scorch_loop_free(scorch_loop *loop)
{
	free(loop);
}

/* ---- libuv -------------------------------------------------------------------------------- */

/* uv_handle_type (uv.h, UV_HANDLE_TYPE_MAP order: ASYNC 1, CHECK 2, ..., PREPARE 9). */
enum { UV_CHECK_ = 2, UV_PREPARE_ = 9 };

typedef void (*uv_cb_)(void *handle);
static struct {
	int (*prepare_init)(void *loop, void *prepare);
	int (*prepare_start)(void *prepare, uv_cb_ cb);
	int (*check_init)(void *loop, void *check);
	int (*check_start)(void *check, uv_cb_ cb);
	void (*unref)(void *handle);
	size_t (*handle_size)(int type);
	int (*backend_timeout)(const void *loop);
} uv;

/* A handle of ours: libuv's bytes, whose first field (`data`) points to this. */
typedef struct uv_hook {
	scorch_loop *loop;
	void *uv_loop;
} uv_hook;

static void on_prepare(void *handle)
{
	uv_hook *h = *(uv_hook **)handle;
	int ms = uv.backend_timeout(h->uv_loop);
	scorch_loop_wait(h->loop, ms < 0 ? -1 : (int64_t)ms * 1000000);
}

static void on_check(void *handle)
{
	uv_hook *h = *(uv_hook **)handle;
	scorch_loop_wake(h->loop);
}

static bool find_uv(void)
{
	if (uv.backend_timeout)
		return true;
#define SYM(field, name)                                                                           \
	if (!(*(void **)&uv.field = dlsym(RTLD_DEFAULT, name)))                                    \
		return false;
	SYM(prepare_init, "uv_prepare_init")
	SYM(prepare_start, "uv_prepare_start")
	SYM(check_init, "uv_check_init")
	SYM(check_start, "uv_check_start")
	SYM(unref, "uv_unref")
	SYM(handle_size, "uv_handle_size")
	SYM(backend_timeout, "uv_backend_timeout")
#undef SYM
	return true;
}

SCORCH_API int scorch_loop_uv(void *uv_loop, const char *name)
{
	if (!scorch_trace_on_ || !uv_loop || !find_uv())
		return -1;
	size_t psize = uv.handle_size(UV_PREPARE_), csize = uv.handle_size(UV_CHECK_);
	if (psize < sizeof(void *) || csize < sizeof(void *))
		return -1;
	uv_hook *h = calloc(1, sizeof(*h));
	void *prep = calloc(1, psize), *check = calloc(1, csize);
	scorch_loop *l = scorch_loop_new(name);
	if (!h || !prep || !check || !l)
		goto fail;
	h->loop = l;
	h->uv_loop = uv_loop;
	if (uv.prepare_init(uv_loop, prep) != 0)
		goto fail;
	*(uv_hook **)prep = h;
	/* From here the handles are libuv's until closed (which needs the loop running): a
	 * failure leaves them, unstarted and harmless, rather than freeing them under libuv. */
	if (uv.check_init(uv_loop, check) != 0)
		return -1;
	*(uv_hook **)check = h;
	if (uv.prepare_start(prep, on_prepare) != 0 || uv.check_start(check, on_check) != 0)
		return -1;
	uv.unref(prep);
	uv.unref(check);
	return 0;
fail:
	free(prep);
	free(check);
	free(h);
	scorch_loop_free(l);
	return -1;
}
