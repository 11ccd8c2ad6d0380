/*
 * push.c: `scorch push`, upload profiles to Grafana Pyroscope or Parca.
 *
 * Flow: parse options -> read and check every input first (a recording folder means its *.pb.gz
 * files; anything that is not pprof is an error before any network traffic) -> for each file and
 * each server, build the request (src/push) and send it with retries -> print one line per
 * upload; exit 1 when any failed.
 *
 * Labels: service (the app name), host (the profile's own "host:" comment, else this machine's),
 * version (this scorch's), then --label k=v, which overrides those. Parca also gets __name__
 * from the kind of profile (process_cpu for a CPU profile, memory for heap.pb.gz, else the
 * file's name: gpu, spans...).
 * Also here: what record_continuous.c shares (cli/push.h).
 */
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/push.h"
#include "formats/pprof.h"
#include "util/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef SCORCH_VERSION
#define SCORCH_VERSION "0.1.0"
#endif

/* Profiles larger than this are refused: no server takes them in one request. */
#define PUSH_MAX_BYTES ((size_t)512 << 20)

static const char *const usage[] = {
    "scorch push --pyroscope URL --app NAME [--label K=V]... [--from T --until T] PROFILE...",
    "scorch push --parca URL [--grpc-web] [--label K=V]... PROFILE...",
    NULL,
};

static const char *const examples[] = {
    "scorch push --pyroscope http://localhost:4040 --app myprog scorch-out/myprog-20260101-120000",
    "scorch push --pyroscope https://pyro.example.com --app api --label env=prod profile.pb.gz "
    "heap.pb.gz",
    "scorch push --parca localhost:7070 --label env=dev profile.pb.gz",
    "scorch push --dry-run --pyroscope http://localhost:4040 --app x out/profile.pb.gz",
    NULL,
};

static void on_retry(void *ctx, int attempt, int attempts, double delay, const char *why)
{
	const char *const *names = ctx;
	fprintf(stderr, "scorch %s: %s: %s; retrying in %.1f s (try %d of %d)\n", names[0],
		names[1], why, delay, attempt + 1, attempts);
}

int sc_cli_push_check(const sc_cli_push *p)
{
	for (int i = 0; p->labels && i < p->labels->len; i++) {
		const char *kv = p->labels->items[i], *eq = strchr(kv, '=');
		char name[128];
		if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(name)) {
			sc_cli_error(p->cmd, 0, "--label '%s': expected NAME=VALUE", kv);
			return -1;
		}
		memcpy(name, kv, (size_t)(eq - kv));
		name[eq - kv] = 0;
		if (sc_push_check_label(name, eq + 1) < 0) {
			sc_cli_error(p->cmd, 0,
				     "--label '%s': a name is letters, digits, '_' and '.' (not "
				     "first a digit); a value may not hold '{', '}', ',' or '='",
				     kv);
			return -1;
		}
	}
	for (size_t i = 0; i < p->client.nheaders; i++) {
		const char *h = p->client.headers[i], *colon = strchr(h, ':');
		bool bad = !colon || colon == h || strpbrk(h, "\r\n");
		for (const char *c = h; !bad && c < colon; c++)
			bad = *c <= ' ' || *c >= 0x7f;
		if (bad) {
			sc_cli_error(p->cmd, 0, "--header '%s': expected 'NAME: VALUE' on one line",
				     h);
			return -1;
		}
	}
	const char *urls[2] = {p->pyroscope, p->parca};
	for (int i = 0; i < 2; i++) {
		if (!urls[i])
			continue;
		bool other = strstr(urls[i], "://") && strncmp(urls[i], "http://", 7) &&
			     strncmp(urls[i], "https://", 8);
		if (!*urls[i] || other) {
			sc_cli_error(p->cmd, 0, "%s '%s': expected an http:// or https:// URL",
				     i ? "--parca" : "--pyroscope", urls[i]);
			return -1;
		}
	}
	if (p->pyroscope && (!p->app || !*p->app || strpbrk(p->app, "{},= "))) {
		sc_cli_error(p->cmd, 0,
			     p->app ? "--app '%s': no spaces, braces, commas or '='"
				    : "--pyroscope needs --app NAME%s",
			     p->app ? p->app : "");
		return -1;
	}
	return 0;
}

void sc_cli_push_file_release(sc_cli_push_file *f)
{
	if (!f)
		return;
	free(f->path);
	free(f->data);
	free(f->sample_type_config);
	memset(f, 0, sizeof(*f));
}

static void kind_of(const char *path, char *kind, size_t size)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t len = strcspn(base, ".");
	if (!strncmp(base, "profile", len) && len == 7)
		snprintf(kind, size, "cpu");
	else
		snprintf(kind, size, "%.*s", (int)len, base);
}

int sc_cli_push_load(const sc_cli_push *p, const char *path, sc_cli_push_file *f)
{
	memset(f, 0, sizeof(*f));
	int r = sc_read_file_max(path, PUSH_MAX_BYTES, &f->data, &f->n);
	if (r < 0) {
		sc_cli_error(p->cmd, r, "cannot read '%s'", path);
		return -1;
	}
	sc_profile *prof = NULL;
	sc_diag d;
	sc_diag_clear(&d);
	sc_diag_set_file(&d, path);
	r = sc_pprof_decode(f->data, f->n, &prof, &d);
	if (r < 0) {
		char buf[1024];
		if (r == -EINVAL)
			sc_cli_error(p->cmd, 0, "'%s' is not a pprof profile: %s", path,
				     sc_diag_format(&d, buf, sizeof(buf)));
		else
			sc_cli_error(p->cmd, r, "cannot read '%s'", path);
		sc_cli_push_file_release(f);
		return -1;
	}
	f->path = strdup(path);
	kind_of(path, f->kind, sizeof(f->kind));
	for (size_t i = 0; i < prof->comments.len; i++) {
		const char *c = sc_profile_str(prof, prof->comments.data[i]);
		if (!strncmp(c, "host: ", 6))
			snprintf(f->host, sizeof(f->host), "%s", c + 6);
	}
	if (!*f->host) {
		struct utsname u;
		snprintf(f->host, sizeof(f->host), "%s", uname(&u) == 0 ? u.nodename : "unknown");
	}
	/* A host name is a label value: drop what Pyroscope's name syntax cannot hold. */
	for (char *c = f->host; *c; c++)
		if ((unsigned char)*c < 0x20 || strchr("{},=", *c))
			*c = '_';
	int64_t dur = (prof->duration_nanos + 999999999) / 1000000000;
	if (prof->time_nanos > 0) {
		f->from = prof->time_nanos / 1000000000;
		f->until = f->from + (dur > 0 ? dur : 1);
	} else {
		struct stat st;
		f->until = stat(path, &st) == 0 ? (int64_t)st.st_mtime : (int64_t)time(NULL);
		f->from = f->until - (dur > 0 ? dur : 1);
	}
	const char *pt = sc_profile_str(prof, prof->period_type.type);
	const char *pu = sc_profile_str(prof, prof->period_type.unit);
	if (prof->period > 0 && !strcmp(pu, "nanoseconds") && (!strcmp(pt, "cpu") || !*pt))
		f->sample_rate = (int)(1000000000 / prof->period);
	const char *types[SC_MAX_SAMPLE_TYPES], *units[SC_MAX_SAMPLE_TYPES];
	for (size_t i = 0; i < prof->nsample_types; i++) {
		types[i] = sc_profile_str(prof, prof->sample_types[i].type);
		units[i] = sc_profile_str(prof, prof->sample_types[i].unit);
	}
	f->sample_type_config = sc_pyroscope_sample_type_config(types, units, prof->nsample_types);
	sc_profile_free(prof);
	if (!f->path || !f->sample_type_config) {
		sc_cli_error(p->cmd, -ENOMEM, "cannot read '%s'", path);
		sc_cli_push_file_release(f);
		return -1;
	}
	return 0;
}

/* The labels of `f` for a server: defaults, then --label (a later one replaces an earlier one
 * of the same name). `buf` holds the names the labels point into. Returns the count. */
static size_t labels_for(const sc_cli_push *p, const sc_cli_push_file *f, bool parca,
			 sc_push_label *out, size_t max, char *buf, size_t bufsize, char *name_kind,
			 size_t nksize)
{
	size_t n = 0;
	if (parca) {
		snprintf(name_kind, nksize, "%s",
			 !strcmp(f->kind, "cpu")    ? "process_cpu"
			 : !strcmp(f->kind, "heap") ? "memory"
						    : f->kind);
		out[n++] = (sc_push_label){"__name__", name_kind};
	}
	if (p->app && *p->app)
		out[n++] = (sc_push_label){"service", p->app};
	out[n++] = (sc_push_label){"host", f->host};
	out[n++] = (sc_push_label){"version", SCORCH_VERSION};
	size_t used = 0;
	for (int i = 0; p->labels && i < p->labels->len; i++) {
		const char *kv = p->labels->items[i], *eq = strchr(kv, '=');
		size_t len = (size_t)(eq - kv);
		if (used + len + 1 > bufsize)
			break;
		char *name = buf + used;
		memcpy(name, kv, len);
		name[len] = 0;
		used += len + 1;
		size_t j = 0;
		while (j < n && strcmp(out[j].name, name))
			j++;
		if (j == n) {
			if (n == max)
				break;
			n++;
		}
		out[j] = (sc_push_label){name, eq + 1};
	}
	return n;
}

static void print_request(const sc_cli_push *p, const sc_cli_push_file *f, const sc_push_target *t,
			  const sc_push_request *req)
{
	(void)p;
	printf("%s: would POST %s (%s)\n", f->path, req->url,
	       t->server == SC_PUSH_PYROSCOPE ? "pyroscope"
	       : t->server == SC_PUSH_PARCA   ? "parca, gRPC over HTTP/2"
					      : "parca, gRPC-Web");
	printf("  Content-Type: %s\n", req->content_type);
	for (char **h = req->headers; h && *h; h++)
		printf("  %s\n", *h);
	for (size_t i = 0; i < p->client.nheaders; i++)
		printf("  %s\n", p->client.headers[i]);
	printf("  body: %zu bytes holding the file's %zu bytes\n", req->n, f->n);
	if (t->server == SC_PUSH_PYROSCOPE)
		printf("  sample_type_config: %s\n", f->sample_type_config);
	for (size_t i = 0; i < t->nlabels; i++)
		printf("  label %s=%s\n", t->labels[i].name, t->labels[i].value);
}

/* A printable excerpt of an answer's body: one line, at most 200 characters. */
static void excerpt(const sc_push_response *res, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < res->n && o + 4 < size && o < 200; i++) {
		unsigned char c = res->body[i];
		out[o++] = c == '\n' || c == '\r' || c == '\t' ? ' '
			   : c < 0x20 || c == 0x7f	       ? '?'
							       : (char)c;
	}
	while (o && out[o - 1] == ' ')
		o--;
	if (o >= 200 && res->n > 200)
		out[o++] = '.', out[o++] = '.', out[o++] = '.';
	out[o] = 0;
}

static int send_one(const sc_cli_push *p, const sc_cli_push_file *f, const sc_push_target *t,
		    int64_t from, int64_t until)
{
	sc_push_profile prof = {f->data, f->n, from, until, f->sample_rate, f->sample_type_config};
	sc_push_request req;
	int r = sc_push_request_build(t, &prof, &req);
	if (r < 0) {
		sc_cli_error(p->cmd, r, "%s: cannot build the request to %s", f->path, t->url);
		return -1;
	}
	if (p->dry_run) {
		print_request(p, f, t, &req);
		sc_push_request_release(&req);
		return 0;
	}
	const char *names[2] = {p->cmd, t->url};
	sc_push_client c = p->client;
	c.on_retry = on_retry;
	c.ctx = names;
	sc_push_response res;
	r = sc_push_post(&c, &req, &res);
	int ret = -1;
	char body[256];
	if (r < 0) {
		if (r == -ENOMEM)
			sc_cli_error(p->cmd, r, "%s: cannot send to %s", f->path, req.url);
		else
			fprintf(stderr, "scorch %s: %s: cannot reach %s after %d %s: %s\n", p->cmd,
				f->path, req.url, res.tries, res.tries == 1 ? "try" : "tries",
				res.error);
	} else if (sc_push_check(&req, &res) < 0) {
		excerpt(&res, body, sizeof(body));
		if (res.status < 200 || res.status > 299)
			fprintf(stderr, "scorch %s: %s: %s answered HTTP %ld%s%s%s\n", p->cmd,
				f->path, req.url, res.status, *body ? ": \"" : "", body,
				*body ? "\"" : "");
		else
			fprintf(stderr,
				"scorch %s: %s: %s answered gRPC status %d%s%s (HTTP %ld)\n",
				p->cmd, f->path, req.url, res.grpc_status,
				*res.grpc_message ? ": " : "", res.grpc_message, res.status);
	} else {
		fprintf(stderr, "scorch %s: %s -> %s: HTTP %ld%s\n", p->cmd, f->path, t->url,
			res.status, req.grpc ? ", grpc-status 0" : "");
		ret = 0;
	}
	if (ret < 0 && t->server == SC_PUSH_PARCA && res.status == 0)
		fprintf(stderr,
			"scorch %s: note: --parca speaks gRPC over HTTP/2; for a server or proxy "
			"that speaks HTTP/1.1 only, add --grpc-web\n",
			p->cmd);
	sc_push_response_release(&res);
	sc_push_request_release(&req);
	return ret;
}

int sc_cli_push_send(const sc_cli_push *p, const sc_cli_push_file *f, int64_t from, int64_t until)
{
	int ret = 0;
	for (int server = 0; server < 2; server++) {
		const char *url = server ? p->parca : p->pyroscope;
		if (!url)
			continue;
		sc_push_label labels[64];
		char buf[4096], nk[80];
		size_t n =
		    labels_for(p, f, server == 1, labels, 64, buf, sizeof(buf), nk, sizeof(nk));
		/* Parca's address may be host:port, as its agent takes it. */
		char full[1024];
		if (!strstr(url, "://"))
			snprintf(full, sizeof(full), "http://%s", url);
		else
			snprintf(full, sizeof(full), "%s", url);
		sc_push_target t = {server ? (p->grpc_web ? SC_PUSH_PARCA_WEB : SC_PUSH_PARCA)
					   : SC_PUSH_PYROSCOPE,
				    full, p->app, labels, n};
		if (send_one(p, f, &t, from, until) < 0)
			ret = -1;
	}
	return ret;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int only_pprof(const struct dirent *e)
{
	size_t len = strlen(e->d_name);
	return len > 6 && !strcmp(e->d_name + len - 6, ".pb.gz");
}

/* Adds the files an argument names: itself, or a folder's *.pb.gz. Returns 0 or -1 (printed). */
static int add_input(const sc_cli_push *p, const char *arg, sc_cli_push_file **files, size_t *n)
{
	struct stat st;
	if (stat(arg, &st) < 0) {
		sc_cli_error(p->cmd, -errno, "cannot read '%s'", arg);
		return -1;
	}
	char **paths = NULL;
	size_t np = 0;
	int ret = -1;
	if (S_ISDIR(st.st_mode)) {
		struct dirent **list;
		int k = scandir(arg, &list, only_pprof, by_name);
		if (k < 0) {
			sc_cli_error(p->cmd, -errno, "cannot read the folder '%s'", arg);
			return -1;
		}
		paths = calloc((size_t)k + 1, sizeof(*paths));
		for (int i = 0; i < k; i++) {
			if (paths && asprintf(&paths[np], "%s/%s", arg, list[i]->d_name) >= 0)
				np++;
			free(list[i]);
		}
		free(list);
		if (!paths || np != (size_t)k) {
			sc_cli_error(p->cmd, -ENOMEM, "cannot read the folder '%s'", arg);
			goto out;
		}
		if (!k) {
			sc_cli_error(p->cmd, 0, "'%s' holds no profile (*.pb.gz)", arg);
			goto out;
		}
	} else {
		paths = calloc(1, sizeof(*paths));
		if (!paths || !(paths[0] = strdup(arg))) {
			sc_cli_error(p->cmd, -ENOMEM, "cannot read '%s'", arg);
			goto out;
		}
		np = 1;
	}
	for (size_t i = 0; i < np; i++) {
		sc_cli_push_file *grown = realloc(*files, (*n + 1) * sizeof(**files));
		if (!grown) {
			sc_cli_error(p->cmd, -ENOMEM, "cannot read '%s'", paths[i]);
			goto out;
		}
		*files = grown;
		if (sc_cli_push_load(p, paths[i], &(*files)[*n]) < 0)
			goto out;
		(*n)++;
	}
	ret = 0;
out:
	for (size_t i = 0; i < np; i++)
		free(paths[i]);
	free(paths);
	return ret;
}

/* UNIX seconds, or -1 after printing. */
static int64_t parse_time(const char *flag, const char *s)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0) {
		sc_cli_error("push", 0, "%s '%s': expected UNIX seconds", flag, s);
		return -1;
	}
	return v;
}

int cmd_push(int argc, char **argv)
{
	sc_cli_push p = {.cmd = "push"};
	sc_option_list labels = {0}, headers = {0};
	const char *from_s = NULL, *until_s = NULL;
	double timeout = 30;
	sc_option opts[] = {
	    SC_OPT_STR(0, "pyroscope", &p.pyroscope, "URL",
		       "Grafana Pyroscope server: POST URL/ingest (format=pprof)"),
	    SC_OPT_STR(0, "parca", &p.parca, "URL",
		       "Parca server: ProfileStoreService/WriteRaw over gRPC (HTTP/2; host:port "
		       "means http://host:port)"),
	    SC_OPT_FLAG(0, "grpc-web", &p.grpc_web,
			"--parca: send gRPC-Web over HTTP/1.1 instead of gRPC over HTTP/2"),
	    SC_OPT_STR(0, "app", &p.app, "NAME",
		       "application name (Pyroscope's name; the label service=NAME)"),
	    SC_OPT_LIST(0, "label", &labels, "K=V",
			"add a label (repeatable); overrides the defaults service, host, version"),
	    SC_OPT_STR(0, "from", &from_s, "T",
		       "start of the time the profiles cover, UNIX seconds (default: the "
		       "profile's own)"),
	    SC_OPT_STR(0, "until", &until_s, "T", "end of that time, UNIX seconds"),
	    SC_OPT_DOUBLE_RANGE(0, "timeout", &timeout, "SECONDS", 0.1, 3600,
				"give up on one try after SECONDS (default 30); 3 tries in all"),
	    SC_OPT_FLAG(0, "insecure", &p.client.insecure,
			"do not verify the server's TLS certificate"),
	    SC_OPT_LIST('H', "header", &headers, "'NAME: VALUE'",
			"add an HTTP header to every request (repeatable), e.g. 'X-Scope-OrgID: "
			"team1' for a multi-tenant Pyroscope"),
	    SC_OPT_FLAG('n', "dry-run", &p.dry_run, "print what would be sent, send nothing"),
	    SC_OPT_END(),
	};
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	if (!args) {
		sc_cli_error("push", -ENOMEM, "cannot parse the options");
		return 1;
	}
	int ret = 2;
	sc_cli_push_file *files = NULL;
	size_t nfiles = 0;
	int nargs = sc_options_parse_args("push", usage, opts, examples, argc, argv, args);
	if (nargs == SC_OPTIONS_HELP) {
		ret = 0;
		goto out;
	}
	if (nargs < 0)
		goto out;
	p.labels = &labels;
	p.client.timeout = timeout;
	p.client.headers = headers.items;
	p.client.nheaders = (size_t)headers.len;
	if (!p.pyroscope && !p.parca) {
		sc_cli_error("push", 0, "say where to: --pyroscope URL or --parca URL");
		goto out;
	}
	if (p.grpc_web && !p.parca) {
		sc_cli_error("push", 0, "--grpc-web is for --parca");
		goto out;
	}
	if (!nargs) {
		sc_cli_error("push", 0, "no profile given (a .pb.gz file or a recording folder)");
		goto out;
	}
	int64_t from = -1, until = -1;
	if (!!from_s != !!until_s) {
		sc_cli_error("push", 0, "give --from and --until together");
		goto out;
	}
	if (from_s && ((from = parse_time("--from", from_s)) < 0 ||
		       (until = parse_time("--until", until_s)) < 0))
		goto out;
	if (from_s && until < from) {
		sc_cli_error("push", 0, "--until %s is before --from %s", until_s, from_s);
		goto out;
	}
	if (sc_cli_push_check(&p) < 0)
		goto out;
	ret = 1;
	for (int i = 0; i < nargs; i++)
		if (add_input(&p, args[i], &files, &nfiles) < 0)
			goto out;
	if (sc_push_global_init() < 0) {
		sc_cli_error("push", -ENOMEM, "cannot start libcurl");
		goto out;
	}
	int failed = 0;
	for (size_t i = 0; i < nfiles; i++)
		if (sc_cli_push_send(&p, &files[i], from_s ? from : files[i].from,
				     from_s ? until : files[i].until) < 0)
			failed++;
	if (failed && nfiles > 1)
		fprintf(stderr, "scorch push: %d of %zu profiles not uploaded\n", failed, nfiles);
	ret = failed ? 1 : 0;
out:
	for (size_t i = 0; i < nfiles; i++)
		sc_cli_push_file_release(&files[i]);
	free(files);
	free(args);
	sc_option_list_release(&labels);
	sc_option_list_release(&headers);
	return ret;
}
