// SPDX-License-Identifier: Apache-2.0
#include "skiff/metrics/exposition.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace skiff::metrics {
namespace {

// strtod over a token; false when the token is not a number.
bool ParseNumber(std::string_view token, double* out) {
  if (token.empty()) return false;
  const std::string text(token);
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

}  // namespace

std::optional<MetricSample> ParseSampleLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return std::nullopt;
  MetricSample s;
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  if (i == 0) return std::nullopt;
  s.name = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const size_t eq = line.find('=', i);
      if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
        return std::nullopt;
      }
      std::string key(line.substr(i, eq - i));
      std::string value;
      size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size()) {
          ++j;
          value.push_back(line[j] == 'n' ? '\n' : line[j]);
        } else {
          value.push_back(line[j]);
        }
      }
      if (j >= line.size()) return std::nullopt;
      s.labels[std::move(key)] = std::move(value);
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return std::nullopt;
    ++i;  // '}'
  }
  while (i < line.size() && line[i] == ' ') ++i;
  const size_t end = line.find(' ', i);
  if (!ParseNumber(line.substr(i, end == std::string_view::npos ? end : end - i), &s.value)) {
    return std::nullopt;
  }
  return s;
}

std::vector<MetricSample> ParseExposition(std::string_view text, std::vector<size_t>* malformed) {
  std::vector<MetricSample> out;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    std::optional<MetricSample> sample = ParseSampleLine(line);
    if (sample) {
      out.push_back(std::move(*sample));
    } else if (malformed != nullptr && line.find_first_not_of(" \r") != std::string_view::npos &&
               line[line.find_first_not_of(" \r")] != '#') {
      malformed->push_back(line_no);
    }
  }
  return out;
}

double BucketBound(const std::string& le) {
  if (le == "+Inf") return std::numeric_limits<double>::infinity();
  return std::strtod(le.c_str(), nullptr);
}

std::optional<double> HistogramQuantile(std::vector<std::pair<double, double>> buckets, double q) {
  std::sort(buckets.begin(), buckets.end());
  if (buckets.empty() || buckets.back().second <= 0) return std::nullopt;
  const double rank = q * buckets.back().second;
  double lower = 0, below = 0;
  for (const auto& [le, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(le)) return lower;  // past the last finite bound
      if (count == below) return le;
      return lower + (le - lower) * (rank - below) / (count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}

}  // namespace skiff::metrics
