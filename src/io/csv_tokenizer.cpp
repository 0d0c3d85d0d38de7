#include "io/csv_tokenizer.hpp"

#include <algorithm>
#include <array>

#include "atc/error.hpp"
#include "atc/io.hpp"

namespace atc::io::detail {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool is_line_end(char c) { return c == '\n' || c == '\r'; }

}  // namespace

std::string location(std::string_view source, std::size_t line, std::size_t column) {
  return std::string(source) + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

CsvTokenizer::CsvTokenizer(std::string text, std::string source)
    : text_(std::move(text)), source_(std::move(source)) {
  if (std::string_view(text_).starts_with(kUtf8Bom)) pos_ = line_start_ = kUtf8Bom.size();
}

char CsvTokenizer::detect_separator() const {
  std::size_t begin = pos_, line = line_;
  while (begin < text_.size() && is_line_end(text_[begin])) line += text_[begin++] == '\n';
  std::array<std::size_t, kCsvSeparators.size()> cells;
  cells.fill(1);
  bool quoted = false;
  for (std::size_t i = begin; i < text_.size() && (quoted || !is_line_end(text_[i])); ++i) {
    if (text_[i] == '"') quoted = !quoted;  // an escaped "" toggles twice
    if (quoted) continue;
    for (std::size_t s = 0; s < kCsvSeparators.size(); ++s) cells[s] += text_[i] == kCsvSeparators[s].character;
  }
  const auto best = std::max_element(cells.begin(), cells.end());
  if (*best == 1) return ',';
  std::string tied;
  for (std::size_t s = 0; s < kCsvSeparators.size(); ++s)
    if (cells[s] == *best) tied += (tied.empty() ? "" : " and ") + std::string(kCsvSeparators[s].name);
  if (std::count(cells.begin(), cells.end(), *best) > 1)
    fail(line, 1, "the header splits into " + std::to_string(*best) + " cells at " + tied +
                      " alike: cannot tell the separator; pass --separator");
  return kCsvSeparators[static_cast<std::size_t>(best - cells.begin())].character;
}

void CsvTokenizer::fail(std::size_t line, std::size_t column, std::string_view reason) const {
  throw InputError(location(source_, line, column) + std::string(reason));
}

void CsvTokenizer::start_new_line(std::size_t next_line_start) {
  ++line_;
  line_start_ = next_line_start;
}

// Called with pos_ on the opening quote; leaves pos_ just past the closing quote.
std::string_view CsvTokenizer::read_quoted_cell() {
  const std::size_t open_line = line_, open_column = column_of(pos_);
  const std::size_t content_begin = ++pos_;
  std::string* unescaped = nullptr;
  std::size_t run_begin = content_begin;
  while (true) {
    if (pos_ >= text_.size()) fail(open_line, open_column, "quoted cell is never closed");
    const char c = text_[pos_];
    if (c == '"') {
      if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
        if (!unescaped) unescaped = &unescaped_.emplace_back();
        unescaped->append(text_, run_begin, pos_ + 1 - run_begin);  // keeps one quote
        pos_ += 2;
        run_begin = pos_;
        continue;
      }
      break;
    }
    if (c == '\n') start_new_line(pos_ + 1);
    ++pos_;
  }
  std::string_view content(text_.data() + content_begin, pos_ - content_begin);
  if (unescaped) {
    unescaped->append(text_, run_begin, pos_ - run_begin);
    content = *unescaped;
  }
  ++pos_;  // closing quote
  while (pos_ < text_.size() && text_[pos_] != separator_ && (text_[pos_] == ' ' || text_[pos_] == '\t'))
    ++pos_;
  if (pos_ < text_.size() && text_[pos_] != separator_ && !is_line_end(text_[pos_]))
    fail(line_, column_of(pos_), "unexpected character after a closing quote");
  return content;
}

bool CsvTokenizer::next_row(std::vector<CsvCell>& cells) {
  cells.clear();
  unescaped_.clear();
  while (pos_ < text_.size() && is_line_end(text_[pos_])) {
    if (text_[pos_] == '\n') start_new_line(pos_ + 1);
    ++pos_;
  }
  if (pos_ >= text_.size()) return false;

  row_line_ = line_;
  while (true) {
    CsvCell cell{{}, line_, column_of(pos_)};
    if (pos_ < text_.size() && text_[pos_] == '"') {
      cell.text = read_quoted_cell();
    } else {
      const std::size_t begin = pos_;
      while (pos_ < text_.size() && text_[pos_] != separator_ && !is_line_end(text_[pos_])) ++pos_;
      cell.text = std::string_view(text_.data() + begin, pos_ - begin);
    }
    cells.push_back(cell);
    if (pos_ < text_.size() && text_[pos_] == separator_) {
      ++pos_;
      continue;
    }
    break;
  }
  row_end_line_ = line_;
  row_end_column_ = column_of(pos_);
  if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
  if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
  start_new_line(pos_);
  return true;
}

}  // namespace atc::io::detail
