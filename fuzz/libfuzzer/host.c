// kcptun-libfuzzer: libFuzzer's own main (Debian's libFuzzer.a) with Kcptun.Fuzz hosted in the same process through
// hostfxr, so an input costs a function call instead of afl-fuzz's two pipe round trips and process switches.
// Environment: KCPTUN_FUZZ_DLL (the instrumented Kcptun.Fuzz.dll), KCPTUN_FUZZ_TARGET (its target name).
// Coverage: SharpFuzz's 64 KiB edge map, handed to libFuzzer as inline 8-bit counters (libFuzzer clears and reads it
// around every input). Kcptun.Fuzz prints a finding's stack trace and exits, which libFuzzer reports
// as "fuzz target exited", saving the input as crash-SHA1.
// Built by fuzz/run.sh (docs/fuzzing.md).
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coreclr_delegates.h>
#include <hostfxr.h>
#include <nethost.h>

void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);

typedef uint8_t *(CORECLR_DELEGATE_CALLTYPE *initialize_fn)(const char *target, int length);
typedef int(CORECLR_DELEGATE_CALLTYPE *run_fn)(const uint8_t *data, intptr_t size);

static run_fn run_input;

static void die(const char *what, int rc) {
  fprintf(stderr, "kcptun-libfuzzer: %s (rc 0x%x)\n", what, rc);
  exit(2);
}

static void *entry(load_assembly_and_get_function_pointer_fn load, const char *dll, const char *method) {
  void *fn = NULL;
  int rc = load(dll, "Kcptun.Fuzz.LibFuzzerEntry, Kcptun.Fuzz", method, UNMANAGEDCALLERSONLY_METHOD, NULL, &fn);
  if (rc != 0 || fn == NULL) die(method, rc);
  return fn;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *dll = getenv("KCPTUN_FUZZ_DLL"), *target = getenv("KCPTUN_FUZZ_TARGET");
  if (dll == NULL || target == NULL) die("set KCPTUN_FUZZ_DLL and KCPTUN_FUZZ_TARGET", 0);

  char config[PATH_MAX], hostfxr[PATH_MAX];
  size_t hostfxr_size = sizeof hostfxr;
  snprintf(config, sizeof config, "%.*s.runtimeconfig.json", (int)(strlen(dll) - 4), dll);
  struct get_hostfxr_parameters parameters = {sizeof parameters, dll, NULL};
  int rc = get_hostfxr_path(hostfxr, &hostfxr_size, &parameters);
  if (rc != 0) die("get_hostfxr_path", rc);
  void *lib = dlopen(hostfxr, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) die(dlerror(), 0);
  hostfxr_initialize_for_runtime_config_fn init = dlsym(lib, "hostfxr_initialize_for_runtime_config");
  hostfxr_get_runtime_delegate_fn get_delegate = dlsym(lib, "hostfxr_get_runtime_delegate");
  if (init == NULL || get_delegate == NULL) die("hostfxr exports", 0);

  hostfxr_handle host = NULL;
  rc = init(config, NULL, &host);
  if (rc != 0 || host == NULL) die(config, rc);
  load_assembly_and_get_function_pointer_fn load = NULL;
  rc = get_delegate(host, hdt_load_assembly_and_get_function_pointer, (void **)&load);
  if (rc != 0 || load == NULL) die("hdt_load_assembly_and_get_function_pointer", rc);

  initialize_fn initialize = entry(load, dll, "Initialize");
  run_input = entry(load, dll, "Run");
  uint8_t *map = initialize(target, (int)strlen(target));
  if (map == NULL) die("unknown target", 0);
  __sanitizer_cov_8bit_counters_init(map, map + (1 << 16));
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return run_input(data, (intptr_t)size); }
