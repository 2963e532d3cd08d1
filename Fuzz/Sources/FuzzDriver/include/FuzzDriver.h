#ifndef MAMORI_FUZZ_DRIVER_H
#define MAMORI_FUZZ_DRIVER_H

/// Runs libFuzzer on this executable's `LLVMFuzzerTestOneInput` with the command line's
/// arguments, and returns its exit status.
///
/// SwiftPM links an executable target with `--defsym main=<Target>_main`, so libFuzzer's own
/// `main` is never used: each fuzz target defines `<Target>_main` and calls this instead.
int mamori_fuzz_run(int argc, char **argv);

#endif
