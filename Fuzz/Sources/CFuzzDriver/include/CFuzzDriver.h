#ifndef CFUZZDRIVER_H
#define CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry point for programs that own `main` (compiler-rt FuzzerInterface.h).
/// SwiftPM links every executable with `main` aliased to `<Module>_main`, so each fuzz
/// target defines that function and hands its `LLVMFuzzerTestOneInput` to this driver.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
