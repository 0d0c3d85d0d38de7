// Output files written whole or not at all.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>

namespace atc::io {

// Writes a file through `write` into a temporary file beside `path`, then renames it over
// `path`: a reader never sees a partial file, and a failure (full disk, an exception
// from `write`) leaves the previous file at `path` as it was. Throws atc::Error naming
// the file and the reason (strerror).
void write_file_atomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

}  // namespace atc::io
