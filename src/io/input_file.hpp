// The whole text of one price file, shared by the CSV and the JSON readers.
#pragma once

#include <filesystem>
#include <string>

namespace atc::io::detail {

// Throws InputError "FILE: reason" for a file that is missing, not a regular file (a FIFO
// would block forever) or larger than kMaxFileBytes.
std::string read_input_file(const std::filesystem::path& path);

}  // namespace atc::io::detail
