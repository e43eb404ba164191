// io: the text forms of a stream, CSV and JSON (read from a whole text, written to a stream).
#pragma once
#include <ostream>
#include <string>

#include "flowkit/io/array.hpp"

namespace flowkit::text {

// CSV: one row per line, comma separated; an optional header line of names (lines starting
// with '#' are comments). Names p<i>_<j>... give a row its shape back; a last column named
// "label" or "time" is the companion.
Stream read_csv(const std::string& text, const std::string& where);
void write_csv(std::ostream& out, const Stream& s);
// Chosen columns of a CSV table as numbers, one column of the result per row of the table
// (selectors.size() x n): each selector a name of the header line or a column number from 1
// (as cut -f counts). Other cells may hold anything; a cell in double quotes may hold commas
// ("" for a quote). The first line is a header when a selector is a name or a chosen cell of
// it is not a number. A name not in the header, a number beyond a line's cells and a chosen
// cell that is not a number are errors naming the line.
Mat read_csv_columns(const std::string& text, const std::vector<std::string>& selectors, const std::string& where);

// JSON: an array of rows (nested arrays for higher ranks); with a companion, an object
// {"data": rows, "labels": [...]} or, for a trajectory, {"times": [...], "states": rows}.
Stream read_json(const std::string& text, const std::string& where);
void write_json(std::ostream& out, const Stream& s);

// The shortest text that reads back as the same float ("nan", "inf", "-inf" when not finite).
std::string format_float(float v);
// A companion that holds times (a trajectory's) rather than labels: rank-3 main array and a
// companion with a non-integer value.
bool companion_is_times(const Stream& s);

}  // namespace flowkit::text
