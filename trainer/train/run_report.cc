// The run report page (see run_report.h).
#include "trainer/train/run_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_reader.h"

namespace kgf::trainer {
namespace {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (step, value)
};

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

// One line chart: every series on shared axes, the last value of each in the legend.
std::string Chart(const std::string& title, const std::vector<Series>& series, bool log_y = false) {
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                  "#17becf", "#8c564b", "#e377c2"};
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  auto y_of = [&](double v) { return log_y ? std::log10(std::max(v, 1e-12)) : v; };
  for (const Series& s : series) {
    for (auto [x, y] : s.points) {
      if (!std::isfinite(y)) continue;
      x0 = std::min(x0, x), x1 = std::max(x1, x);
      y0 = std::min(y0, y_of(y)), y1 = std::max(y1, y_of(y));
    }
  }
  std::string out = "<section><h2>" + Escape(title) + "</h2>";
  if (x0 > x1) return out + "<p>no data</p></section>";
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const double W = 640, H = 220, L = 60, B = 24;
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - 10); };
  auto py = [&](double y) { return 10 + (1 - (y_of(y) - y0) / (y1 - y0)) * (H - B - 10); };
  out += "<svg width=\"" + Num(W) + "\" height=\"" + Num(H) + "\" xmlns=\"http://www.w3.org/2000/svg\">";
  out += "<rect x=\"" + Num(L) + "\" y=\"10\" width=\"" + Num(W - L - 10) + "\" height=\"" +
         Num(H - B - 10) + "\" fill=\"none\" stroke=\"#ccc\"/>";
  auto label = [&](double v) { return log_y ? Num(std::pow(10, v)) : Num(v); };
  out += "<text x=\"2\" y=\"16\" font-size=\"11\">" + label(y1) + "</text>";
  out += "<text x=\"2\" y=\"" + Num(H - B) + "\" font-size=\"11\">" + label(y0) + "</text>";
  out += "<text x=\"" + Num(L) + "\" y=\"" + Num(H - 6) + "\" font-size=\"11\">step " + Num(x0) +
         "</text><text x=\"" + Num(W - 90) + "\" y=\"" + Num(H - 6) + "\" font-size=\"11\">step " +
         Num(x1) + "</text>";
  std::string legend = "<p class=\"legend\">";
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const char* color = kColors[i % std::size(kColors)];
    std::string path;
    for (auto [x, y] : s.points) {
      if (!std::isfinite(y)) continue;
      path += (path.empty() ? "M" : " L") + Num(px(x)) + " " + Num(py(y));
    }
    out += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.2\"/>";
    const double last = s.points.empty() ? NAN : s.points.back().second;
    legend += "<span style=\"color:" + std::string(color) + "\">&#9632; " + Escape(s.name) +
              " (last <b data-series=\"" + Escape(title + "/" + s.name) + "\">" + Num(last) +
              "</b>)</span> ";
  }
  return out + "</svg>" + legend + "</p></section>";
}

double Get(const JsonValue& v, const char* key) {
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsNumber() ? it->value.GetDouble() : NAN;
}

}  // namespace

Result<std::string> RenderRunReport(const std::string& run_dir) {
  const std::string path = JoinPath(run_dir, "metrics.jsonl");
  if (!FileExists(path)) {
    return NotFoundError("report: " + path + " does not exist; pass a run directory of `kgforge train`");
  }
  KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path, 64 << 20));
  std::map<std::string, Series> s;
  for (const char* k : {"loss", "lm_loss", "balance_loss", "z_loss", "lr", "grad_norm",
                        "tokens_per_s"}) {
    s[k].name = k;
  }
  std::map<int, Series> load;  // per MoE layer: max/mean expert load
  std::map<std::string, Series> evals;
  std::map<int, Series> rank_busy, rank_comm;  // per rank: data+compute+optimizer, communication
  std::map<int, Series> sync_norms;            // local SGD: pseudo-gradient norm per rank
  std::vector<std::string> events, system;
  std::string line;
  int64_t steps = 0;
  while (reader->Next(&line)) {
    if (line.empty()) continue;
    KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(line, reader->Where()));
    if (!doc.IsObject() || !doc.HasMember("step") || !doc["step"].IsNumber()) {
      return InvalidArgumentError(reader->Where() + ": not a metrics line (an object with \"step\")");
    }
    const double step = doc["step"].GetDouble();
    if (doc.HasMember("eval")) {  // {"step": N, "eval": <eval report>}
      const JsonValue& e = doc["eval"];
      if (e.IsObject() && e.HasMember("model") && e["model"].IsObject() &&
          e["model"].HasMember("all")) {
        const JsonValue& all = e["model"]["all"];
        for (const char* k :
             {"valid_call_rate", "chain_exact", "executed_answer", "f1", "anchor_copy_rate"}) {
          if (!all.HasMember(k)) continue;  // first-turn anchors: runs from 2026-11-30 on
          evals[k].name = k;
          evals[k].points.emplace_back(step, Get(all, k));
        }
      }
      continue;
    }
    ++steps;
    for (auto& [k, series] : s) series.points.emplace_back(step, Get(doc, k.c_str()));
    auto el = doc.FindMember("expert_load");
    if (el != doc.MemberEnd() && el->value.IsArray()) {
      for (const JsonValue& layer : el->value.GetArray()) {
        const int l = static_cast<int>(Get(layer, "layer"));
        load[l].name = "MoE layer " + std::to_string(l) + " max/mean";
        load[l].points.emplace_back(step, Get(layer, "max_over_mean"));
      }
    }
    if (auto rk = doc.FindMember("ranks"); rk != doc.MemberEnd() && rk->value.IsArray()) {
      int r = 0;
      for (const JsonValue& t : rk->value.GetArray()) {
        rank_busy[r].name = "rank " + std::to_string(r) + " work (data+compute+optimizer) s";
        rank_busy[r].points.emplace_back(step, Get(t, "data") + Get(t, "compute") + Get(t, "optimizer"));
        rank_comm[r].name = "rank " + std::to_string(r) + " communication s";
        rank_comm[r].points.emplace_back(step, Get(t, "comm"));
        ++r;
      }
    }
    if (auto sy = doc.FindMember("sync"); sy != doc.MemberEnd() && sy->value.IsObject()) {
      auto norms = sy->value.FindMember("norms");
      if (norms != sy->value.MemberEnd() && norms->value.IsArray()) {
        int r = 0;
        for (const JsonValue& n : norms->value.GetArray()) {
          sync_norms[r].name = "rank " + std::to_string(r) + " ||delta||";
          sync_norms[r].points.emplace_back(step, n.IsNumber() ? n.GetDouble() : 0.0);
          ++r;
        }
      }
      auto ex = sy->value.FindMember("excluded");
      if (ex != sy->value.MemberEnd() && ex->value.IsArray() && !ex->value.Empty()) {
        system.push_back("step " + Num(step) + ": excluded " + JsonToString(ex->value));
      }
    }
    if (auto sm = doc.FindMember("system"); sm != doc.MemberEnd() && sm->value.IsArray()) {
      for (const JsonValue& e : sm->value.GetArray()) {
        system.push_back("step " + Num(step) + ": " + JsonToString(e));
      }
    }
    auto ev = doc.FindMember("events");
    if (ev != doc.MemberEnd() && ev->value.IsArray()) {
      for (const JsonValue& e : ev->value.GetArray()) events.push_back(JsonToString(e));
    }
  }
  KGF_RETURN_IF_ERROR(reader->status());
  if (steps == 0) return InvalidArgumentError("report: " + path + " holds no training step yet");
  std::string html =
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>kgforge run " +
      Escape(run_dir) + "</title><style>body{font-family:sans-serif;margin:20px}"
      "section{margin-bottom:18px}h2{font-size:15px;margin:4px 0}.legend{font-size:12px}"
      "</style></head><body><h1>Run " + Escape(run_dir) + "</h1><p>" + std::to_string(steps) +
      " updates, last step " + Num(s["loss"].points.back().first) + ", " +
      std::to_string(events.size()) + " spike events</p>";
  html += Chart("loss", {s["loss"], s["lm_loss"]});
  html += Chart("auxiliary losses", {s["balance_loss"], s["z_loss"]});
  html += Chart("learning rate", {s["lr"]});
  html += Chart("grad norm (before clipping)", {s["grad_norm"]}, /*log_y=*/true);
  html += Chart("tokens/s", {s["tokens_per_s"]});
  std::vector<Series> layers;
  for (auto& [l, series] : load) layers.push_back(series);
  html += Chart("expert load (1 = balanced)", layers);
  std::vector<Series> eval_series;
  for (auto& [k, series] : evals) eval_series.push_back(series);
  html += Chart("eval on held-out records (--eval-every)", eval_series);
  std::vector<Series> busy, comm, norms;
  for (auto& [r, series] : rank_busy) busy.push_back(series);
  for (auto& [r, series] : rank_comm) comm.push_back(series);
  for (auto& [r, series] : sync_norms) norms.push_back(series);
  html += Chart("per-rank timeline: work per update (s)", busy);
  html += Chart("per-rank timeline: communication per update (s)", comm);
  html += Chart("local SGD: pseudo-gradient norm per rank at each sync", norms, /*log_y=*/true);
  html += "<section><h2>stragglers, exclusions, local steps</h2>";
  if (system.empty()) html += "<p>none</p>";
  for (const std::string& e : system) html += "<pre>" + Escape(e) + "</pre>";
  html += "</section>";
  html += "<section><h2>spike events</h2>";
  if (events.empty()) html += "<p>none</p>";
  for (const std::string& e : events) html += "<pre>" + Escape(e) + "</pre>";
  html += "</section></body></html>\n";
  return html;
}

}  // namespace kgf::trainer
