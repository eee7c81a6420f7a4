/*
 * fuzz: the entry point every fuzz target defines.  The same file is linked
 * with libFuzzer (make fuzz) or with replay.c (make check), which feeds it
 * every file of the target's corpus.
 */
#ifndef TASKMGR_FUZZ_H
#define TASKMGR_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input; returns 0.  A crash, leak or sanitizer report is a finding. */
int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with a message: a property the target checks does not hold. */
#define FUZZ_ASSERT(c) do { if (!(c)) fuzz_fail(#c, __FILE__, __LINE__); } while (0)
void	 fuzz_fail(const char *what, const char *file, int line);

#endif
