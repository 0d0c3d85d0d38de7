// The implementation of toml++ (its Debian package ships it as an uninstrumented shared
// library), compiled into atc_io in the fuzzing build: see fuzz/CMakeLists.txt.
// Its internal assertions are off, as in that library (built with NDEBUG): some fire on
// input that the parser then refuses cleanly, e.g. "[%".
#define TOML_ASSERT(expr) static_assert(true)
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
