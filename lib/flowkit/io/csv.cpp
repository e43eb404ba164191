// io: CSV read and write.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <sstream>

#include "flowkit/io/text_stream.hpp"

namespace flowkit::text {
namespace {

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

// Cells of a line of a table: a cell in double quotes may hold commas, "" is a quote
std::vector<std::string> split_quoted(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') cells.back() += '"', ++i;
    else if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) cells.emplace_back();
    else cells.back() += c;
  }
  for (auto& c : cells) c = trim(c);
  return cells;
}

std::optional<float> parse_number(const std::string& cell);

// A table's first line is its header when a cell of it is a name (not a number, not empty), or
// when its first cell is empty and another is not (pandas' to_csv: the index's nameless column
// over numbered columns); a first line of numbers with an empty cell is data, and the empty
// cell an error there (a header guessed from it dropped the first row of data).
bool is_header(const std::vector<std::string>& cells) {
  bool named = false, filled = false;
  for (const auto& c : cells) {
    named = named || (!c.empty() && !parse_number(c));
    filled = filled || !c.empty();
  }
  return named || (cells.size() > 1 && cells[0].empty() && filled);
}

// The text without a spreadsheet's UTF-8 byte-order mark
std::string without_bom(const std::string& text) { return text.rfind("\xEF\xBB\xBF", 0) == 0 ? text.substr(3) : text; }

std::optional<float> parse_number(const std::string& cell) {
  if (cell.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  // Decimal only: strtof also reads C's hexadecimal floats (0x1p3 = 8), which no table means
  if (cell.find_first_of("xX") != std::string::npos) return std::nullopt;
  const float v = std::strtof(cell.c_str(), &end);
  if (end != cell.c_str() + cell.size()) return std::nullopt;
  return v;
}

// Shape of a row from header names p<i>_<j>...: the last name's indices plus one.
std::vector<int64_t> row_shape_from_names(const std::vector<std::string>& names) {
  const std::string& last = names.back();
  if (names.size() < 2 || last.size() < 2 || last[0] != 'p') return {int64_t(names.size())};
  std::vector<int64_t> shape;
  std::stringstream ss(last.substr(1));
  for (std::string part; std::getline(ss, part, '_');) {
    // Nine digits at most: an index that large is never a pixel, and stoll cannot overflow.
    if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos)
      return {int64_t(names.size())};
    shape.push_back(std::stoll(part) + 1);
  }
  int64_t n = 1;  // stays below 2^31 * 10^9 before the check stops it
  for (size_t i = 0; i < shape.size() && n <= int64_t(names.size()); ++i) n *= shape[i];
  return n == int64_t(names.size()) && shape.size() >= 2 ? shape : std::vector<int64_t>{int64_t(names.size())};
}

// Header names for one row of the main array, and the companion column's name.
std::vector<std::string> column_names(const Stream& s) {
  std::vector<std::string> names;
  const auto& shape = s.main.shape;
  if (shape.size() <= 1) {
    names.push_back("v");
  } else if (shape.size() == 2) {
    for (int64_t j = 0; j < shape[1]; ++j) names.push_back("x" + std::to_string(j));
  } else {
    const std::vector<int64_t> row(shape.begin() + 1, shape.end());
    std::vector<int64_t> idx(row.size(), 0);
    for (int64_t k = 0; k < s.main.row_size(); ++k) {
      std::string n = "p";
      for (size_t i = 0; i < idx.size(); ++i) n += (i ? "_" : "") + std::to_string(idx[i]);
      names.push_back(n);
      for (size_t i = idx.size(); i-- > 0 && ++idx[i] == row[i];) idx[i] = 0;
    }
  }
  if (s.companion) names.push_back(companion_is_times(s) ? "time" : "label");
  return names;
}

}  // namespace

Stream read_csv(const std::string& text, const std::string& where) {
  std::vector<std::string> names;
  std::vector<float> values;
  int64_t width = -1, rows = 0, line_no = 0;
  std::istringstream in(without_bom(text));
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto cells = split_quoted(t);
    if (width < 0 && is_header(cells)) {
      names = cells;
      width = int64_t(cells.size());
      continue;
    }
    std::vector<float> row;
    for (size_t j = 0; j < cells.size(); ++j) {
      const auto v = parse_number(cells[j]);
      if (!v)
        throw Error("non-numeric cell '" + cells[j].substr(0, 40) + "' at line " + std::to_string(line_no) +
                    ", column " + std::to_string(j + 1) + " (" + where + ")");
      row.push_back(*v);
    }
    if (width < 0) width = int64_t(row.size());
    if (int64_t(row.size()) != width)
      throw Error("ragged CSV: line " + std::to_string(line_no) + " has " + std::to_string(row.size()) +
                  " values, expected " + std::to_string(width) + " (" + where + ")");
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  }
  if (rows == 0) throw Error("empty stream: no data rows (" + where + ")");
  // A last column named label or time is the companion
  Stream s;
  const bool has_comp = !names.empty() && width > 1 && (names.back() == "label" || names.back() == "time");
  const int64_t d = width - (has_comp ? 1 : 0);
  if (has_comp) names.pop_back();
  std::vector<int64_t> row_shape = names.empty() ? std::vector<int64_t>{d} : row_shape_from_names(names);
  s.main.shape = {rows};
  if (!(names.size() == 1 && names[0] == "v")) s.main.shape.insert(s.main.shape.end(), row_shape.begin(), row_shape.end());
  s.main.data.resize(size_t(rows * d));
  if (has_comp) s.companion = Array({rows});
  for (int64_t i = 0; i < rows; ++i) {
    std::copy_n(values.begin() + i * width, d, s.main.data.begin() + i * d);
    if (has_comp) s.companion->data[size_t(i)] = values[size_t(i * width + d)];
  }
  return s;
}

Mat read_csv_columns(const std::string& text, const std::vector<std::string>& selectors, const std::string& where) {
  std::vector<int64_t> index(selectors.size(), -1);  // 0-based cells, -1: a name not yet found
  bool names = false;
  for (size_t k = 0; k < selectors.size(); ++k) {
    const auto v = parse_number(selectors[k]);
    if (v && *v >= 1 && *v == std::floor(*v) && *v < 1e6) index[k] = int64_t(*v) - 1;
    else names = true;
  }
  std::vector<float> values;
  int64_t rows = 0, line_no = 0;
  bool first = true;
  std::istringstream in(without_bom(text));
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto cells = split_quoted(t);
    // By name: the first line names the columns. By number: it does when a chosen cell of it
    // is a name (the other cells may hold anything: a place's name beside its coordinates)
    bool header = first && names;
    for (size_t k = 0; first && !header && k < index.size(); ++k) {
      const int64_t i = index[k];
      header = i < int64_t(cells.size()) && !cells[size_t(i)].empty() && !parse_number(cells[size_t(i)]);
    }
    if (header) {
      if (std::all_of(cells.begin(), cells.end(), [](const std::string& c) { return bool(parse_number(c)); }))
        throw Error("column names given but the table has no header line (" + where + ")");
      for (size_t k = 0; k < selectors.size(); ++k) {
        if (index[k] >= 0) continue;
        const auto at = std::find(cells.begin(), cells.end(), selectors[k]);
        if (at == cells.end())
          throw Error("no column named '" + selectors[k] + "' in the header line " + std::to_string(line_no) + " (" + where + ")");
        index[k] = at - cells.begin();
      }
      first = false;
      continue;
    }
    first = false;
    for (size_t k = 0; k < index.size(); ++k) {
      if (index[k] >= int64_t(cells.size()))
        throw Error("line " + std::to_string(line_no) + " has " + std::to_string(cells.size()) + " cells, no column " +
                    std::to_string(index[k] + 1) + " (" + where + ")");
      const std::string& c = cells[size_t(index[k])];
      const auto v = parse_number(c);
      if (!v)
        throw Error("non-numeric cell '" + c.substr(0, 40) + "' at line " + std::to_string(line_no) + ", column " +
                    std::to_string(index[k] + 1) + " (" + where + ")");
      values.push_back(*v);
    }
    ++rows;
  }
  if (rows == 0) throw Error("empty stream: no data rows (" + where + ")");
  const auto d = Eigen::Index(selectors.size());
  return Eigen::Map<const Mat>(values.data(), d, rows);
}

void write_csv(std::ostream& out, const Stream& s) {
  const auto names = column_names(s);
  for (size_t j = 0; j < names.size(); ++j) out << (j ? "," : "") << names[j];
  out << '\n';
  const int64_t n = s.main.rows(), d = s.main.row_size();
  std::string line;
  for (int64_t i = 0; i < n; ++i) {
    line.clear();
    for (int64_t j = 0; j < d; ++j) line += (j ? "," : "") + format_float(s.main.data[size_t(i * d + j)]);
    if (s.companion) line += "," + format_float(s.companion->data[size_t(i)]);
    line += '\n';
    out << line;
  }
}

}  // namespace flowkit::text
