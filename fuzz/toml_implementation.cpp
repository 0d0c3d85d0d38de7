// The implementation of toml++ (its Debian package ships it as an uninstrumented shared
// library), compiled into atc_io in the fuzzing build: see fuzz/CMakeLists.txt.
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
