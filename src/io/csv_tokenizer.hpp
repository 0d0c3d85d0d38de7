// Splits CSV text (RFC 4180: quoted cells with "" escapes, LF or CRLF line ends; the cell
// separator a comma or another one) into rows of cells, remembering where each cell
// starts for error messages.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace atc::io::detail {

struct CsvCell {
  std::string_view text;  // unquoted content, not trimmed
  std::size_t line = 0;   // 1-based
  std::size_t column = 0; // 1-based character column where the cell starts
};

class CsvTokenizer {
 public:
  CsvTokenizer(std::string text, std::string source);

  // The separator among kCsvSeparators that splits the first row that is not blank
  // (the header) into the most cells, quotes respected; a comma when none splits it.
  // Throws InputError naming them when two split it into the same number of cells.
  char detect_separator() const;
  void set_separator(char separator) { separator_ = separator; }
  char separator() const { return separator_; }

  // Reads the next row that is not blank into `cells`; false at the end of the text.
  // Throws InputError for an unterminated quote or text after a closing quote.
  bool next_row(std::vector<CsvCell>& cells);

  std::size_t row_line() const { return row_line_; }
  // The line and column just past the last cell of the current row.
  std::size_t row_end_line() const { return row_end_line_; }
  std::size_t row_end_column() const { return row_end_column_; }
  const std::string& source() const { return source_; }

  // Throws InputError "SOURCE:LINE:COLUMN: reason".
  [[noreturn]] void fail(std::size_t line, std::size_t column, std::string_view reason) const;

 private:
  std::size_t column_of(std::size_t pos) const { return pos - line_start_ + 1; }
  void start_new_line(std::size_t next_line_start);
  std::string_view read_quoted_cell();

  std::string text_;
  std::string source_;
  char separator_ = ',';
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
  std::size_t row_line_ = 0;
  std::size_t row_end_line_ = 0;
  std::size_t row_end_column_ = 0;
  std::deque<std::string> unescaped_;  // cells whose "" escapes were undone; stable addresses
};

// Location prefix of error messages: "SOURCE:LINE:COLUMN: ".
std::string location(std::string_view source, std::size_t line, std::size_t column);

}  // namespace atc::io::detail
