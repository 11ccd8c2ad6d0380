/*
 * helper_elf.h: for test_record and test_unwind, where record_helper is and where its functions
 * are, read straight from its ELF symbol table with libelf (independent of src/symbolize, so the
 * recorder's tests do not trust the code they would be checking).
 *
 * Addresses are file offsets (pc - mapping start + mapping offset), the unit both the recorder's
 * mappings and sc_unwind speak.
 */
#ifndef SC_TESTS_HELPER_ELF_H
#define SC_TESTS_HELPER_ELF_H

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct helper_sym {
	char name[64];
	uint64_t offset, size; /* file offset of the first byte, size in bytes */
};

struct helper_syms {
	struct helper_sym sym[256];
	size_t n;
};

/* record_helper sits next to the test program in the build tree. */
static inline const char *helper_path(void)
{
	static char path[PATH_MAX];
	if (!path[0]) {
		char self[PATH_MAX - 32];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return NULL;
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (!slash)
			return NULL;
		*slash = 0;
		snprintf(path, sizeof(path), "%s/record_helper", self);
	}
	return access(path, X_OK) == 0 ? path : NULL;
}

/* Loads the function symbols of `path`; returns 0 or -1. */
static inline int helper_syms_load(const char *path, struct helper_syms *out)
{
	memset(out, 0, sizeof(*out));
	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	int r = -1;
	size_t nph;
	if (!e || elf_getphdrnum(e, &nph) != 0)
		goto out;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize && out->n < 256; i++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    !s.st_value)
				continue;
			for (size_t k = 0; k < nph; k++) {
				GElf_Phdr ph;
				if (!gelf_getphdr(e, (int)k, &ph) || ph.p_type != PT_LOAD ||
				    s.st_value - ph.p_vaddr >= ph.p_filesz)
					continue;
				struct helper_sym *h = &out->sym[out->n++];
				snprintf(h->name, sizeof(h->name), "%s",
					 elf_strptr(e, sh.sh_link, s.st_name));
				h->offset = s.st_value - ph.p_vaddr + ph.p_offset;
				h->size = s.st_size;
				break;
			}
		}
		r = 0;
	}
out:
	if (e)
		elf_end(e);
	close(fd);
	return r;
}

/* Name of the function containing file offset `off`, or "?". */
static inline const char *helper_sym_at(const struct helper_syms *h, uint64_t off)
{
	for (size_t i = 0; i < h->n; i++)
		if (off - h->sym[i].offset < h->sym[i].size)
			return h->sym[i].name;
	return "?";
}

/* The symbol called `name`, or NULL. */
static inline const struct helper_sym *helper_sym(const struct helper_syms *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->sym[i].name, name))
			return &h->sym[i];
	return NULL;
}

#endif
