// filter/metrics/registry.cpp — see registry.h.
#include "filter/metrics/registry.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <variant>

namespace am::metrics {
namespace {

enum Type { kCounter, kGauge, kHistogram };
const char* typeName(int t) { return t == kCounter ? "counter" : t == kGauge ? "gauge" : "histogram"; }

[[noreturn]] void misuse(std::string_view what, std::string_view name) {
  std::fprintf(stderr, "authmilter: metrics registry: %.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(name.size()), name.data());
  std::abort();
}

bool validName(std::string_view n, bool colonAllowed) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colonAllowed && c == ':') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string labelText(const Labels& labels) {
  if (labels.empty()) return "";
  std::string s = "{";
  for (auto& [k, v] : labels) {
    if (!validName(k, false) || k.starts_with("__") || k == "le") misuse("bad label name", k);
    if (s.size() > 1) s += ',';
    s.append(k).append("=\"").append(escapeLabelValue(v)).append("\"");
  }
  return s + "}";
}

// `labels` ("{a=\"b\"}" or "") with one more label appended.
std::string withLabel(const std::string& labels, std::string_view k, std::string_view v) {
  std::string extra = std::string(k) + "=\"" + std::string(v) + "\"";
  if (labels.empty()) return "{" + extra + "}";
  return labels.substr(0, labels.size() - 1) + "," + extra + "}";
}

}  // namespace

struct Registry::Series {
  std::string labels;  // rendered, "" or {k="v",...}
  std::variant<std::monostate, Counter*, Gauge*, Histogram*, std::function<uint64_t()>, std::function<double()>> value;
};

struct Registry::Family {
  std::string name, help;
  int type = kCounter;
  bool hideZero = false;
  std::vector<Series> series;
};

Histogram::Histogram(std::vector<double> upperBoundsSeconds) : bounds_(std::move(upperBoundsSeconds)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!(bounds_[i] > 0) || std::isinf(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1]))
      misuse("histogram bounds must be positive, finite and ascending", "");
    boundsNs_.push_back(static_cast<int64_t>(std::llround(bounds_[i] * 1e9)));
  }
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

Histogram::Reading Histogram::read() const {
  Reading r;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    r.cumulative.push_back(running);
  }
  r.count = running;
  r.sumSeconds = static_cast<double>(sumNs_.load(std::memory_order_relaxed)) / 1e9;
  return r;
}

std::vector<double> messageLatencyBounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

std::vector<double> dnsLatencyBounds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Series& Registry::series(std::string_view name, std::string_view help, int type, const Labels& labels,
                                   bool* created) {
  if (!validName(name, true)) misuse("bad metric name", name);
  std::string lt = labelText(labels);
  Family* fam = nullptr;
  for (auto& f : families_)
    if (f->name == name) fam = f.get();
  if (!fam) {
    families_.push_back(std::make_unique<Family>());
    fam = families_.back().get();
    fam->name = std::string(name);
    fam->help = std::string(help);
    fam->type = type;
  } else if (fam->type != type) {
    misuse("one name registered with two types", name);
  }
  for (auto& s : fam->series)
    if (s.labels == lt) return *created = false, s;
  fam->series.push_back(Series{lt, {}});
  *created = true;
  return fam->series.back();
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lk(mu_);
  bool created;
  Series& s = series(name, help, kCounter, labels, &created);
  if (created) s.value = &counters_.emplace_back();
  if (!std::holds_alternative<Counter*>(s.value)) misuse("series already read from a function", name);
  return *std::get<Counter*>(s.value);
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lk(mu_);
  bool created;
  Series& s = series(name, help, kGauge, labels, &created);
  if (created) s.value = &gauges_.emplace_back();
  if (!std::holds_alternative<Gauge*>(s.value)) misuse("series already read from a function", name);
  return *std::get<Gauge*>(s.value);
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                               const Labels& labels) {
  std::lock_guard lk(mu_);
  bool created;
  Series& s = series(name, help, kHistogram, labels, &created);
  if (created) s.value = histograms_.emplace_back(std::make_unique<Histogram>(std::move(bounds))).get();
  return *std::get<Histogram*>(s.value);
}

void Registry::counterFrom(std::string_view name, std::string_view help, const Labels& labels,
                           std::function<uint64_t()> read) {
  std::lock_guard lk(mu_);
  bool created;
  Series& s = series(name, help, kCounter, labels, &created);
  s.value = std::move(read);  // a second registration (a new component instance) replaces the first
}

void Registry::gaugeFrom(std::string_view name, std::string_view help, const Labels& labels,
                         std::function<double()> read) {
  std::lock_guard lk(mu_);
  bool created;
  Series& s = series(name, help, kGauge, labels, &created);
  s.value = std::move(read);
}

void Registry::hideZeroSeries(std::string_view name) {
  std::lock_guard lk(mu_);
  for (auto& f : families_)
    if (f->name == name) f->hideZero = true;
}

std::string Registry::render() const {
  std::lock_guard lk(mu_);
  std::string out;
  out.reserve(8192);
  auto sample = [&out](std::string_view name, std::string_view suffix, const std::string& labels,
                        const std::string& v) {
    out.append(name).append(suffix).append(labels).append(" ").append(v).append("\n");
  };
  auto u = [](uint64_t v) { return std::to_string(v); };
  for (auto& f : families_) {
    out.append("# HELP ").append(f->name).append(" ").append(escapeHelp(f->help)).append("\n");
    out.append("# TYPE ").append(f->name).append(" ").append(typeName(f->type)).append("\n");
    for (auto& s : f->series) {
      if (auto* c = std::get_if<Counter*>(&s.value)) {
        uint64_t v = (*c)->value();
        if (v != 0 || !f->hideZero) sample(f->name, "", s.labels, u(v));
      } else if (auto* g = std::get_if<Gauge*>(&s.value)) {
        sample(f->name, "", s.labels, std::to_string((*g)->value()));
      } else if (auto* fc = std::get_if<std::function<uint64_t()>>(&s.value)) {
        uint64_t v = (*fc)();
        if (v != 0 || !f->hideZero) sample(f->name, "", s.labels, u(v));
      } else if (auto* fg = std::get_if<std::function<double()>>(&s.value)) {
        sample(f->name, "", s.labels, formatValue((*fg)()));
      } else if (auto* h = std::get_if<Histogram*>(&s.value)) {
        Histogram::Reading r = (*h)->read();
        const auto& b = (*h)->bounds();
        for (size_t i = 0; i < b.size(); ++i)
          sample(f->name, "_bucket", withLabel(s.labels, "le", formatValue(b[i])), u(r.cumulative[i]));
        sample(f->name, "_bucket", withLabel(s.labels, "le", "+Inf"), u(r.count));
        sample(f->name, "_sum", s.labels, formatValue(r.sumSeconds));
        sample(f->name, "_count", s.labels, u(r.count));
      }
    }
  }
  return out;
}

std::string escapeLabelValue(std::string_view v) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\\') o += "\\\\";
    else if (c == '"') o += "\\\"";
    else if (c == '\n') o += "\\n";
    else o += c;
  }
  return o;
}

std::string escapeHelp(std::string_view v) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\\') o += "\\\\";
    else if (c == '\n') o += "\\n";
    else o += c;
  }
  return o;
}

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 9.007199254740992e15) return std::to_string(static_cast<int64_t>(v));
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest form that reads back exactly
  return ec == std::errc() ? std::string(buf, p) : std::to_string(v);
}

}  // namespace am::metrics
