#include "base/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kgf {
namespace {

int& EnabledOverride() {  // -1 auto, 0 off, 1 on
  static int value = -1;
  return value;
}

bool AutoEnabled() {
  if (EnabledOverride() >= 0) return EnabledOverride() == 1;
  const char* env = std::getenv("KGF_PROGRESS");
  if (env != nullptr && std::strcmp(env, "0") == 0) return false;
  return isatty(STDERR_FILENO) == 1;
}

}  // namespace

void Progress::SetEnabled(bool enabled) { EnabledOverride() = enabled ? 1 : 0; }

std::string HumanCount(double n) {
  char buf[32];
  if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
  else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else if (n >= 1e4) std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}

std::string HumanDuration(double seconds) {
  char buf[32];
  long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

Progress::Progress(std::string label, uint64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      start_(std::chrono::steady_clock::now()), last_draw_(start_), enabled_(AutoEnabled()) {}

Progress::~Progress() { Finish(); }

double Progress::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::Add(uint64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  if (enabled_) MaybeDraw(false);
}

void Progress::Set(uint64_t done) {
  done_.store(done, std::memory_order_relaxed);
  if (enabled_) MaybeDraw(false);
}

void Progress::Finish() {
  if (!enabled_) return;
  MaybeDraw(true);
  std::lock_guard<std::mutex> lock(draw_mu_);
  if (!finished_) {
    std::fputc('\n', stderr);
    finished_ = true;
  }
}

void Progress::MaybeDraw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
  std::unique_lock<std::mutex> lock(draw_mu_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double done = static_cast<double>(done_.load());
  const double rate = elapsed > 0 ? done / elapsed : 0;
  char line[256];
  if (total_ > 0) {
    const double pct = 100.0 * done / static_cast<double>(total_);
    const double eta = rate > 0 ? (static_cast<double>(total_) - done) / rate : 0;
    std::snprintf(line, sizeof line, "\r%s: %s/%s %s (%.1f%%) %s/s ETA %s   ", label_.c_str(),
                  HumanCount(done).c_str(), HumanCount(static_cast<double>(total_)).c_str(),
                  unit_.c_str(), pct, HumanCount(rate).c_str(), HumanDuration(eta).c_str());
  } else {
    std::snprintf(line, sizeof line, "\r%s: %s %s %s/s %s   ", label_.c_str(),
                  HumanCount(done).c_str(), unit_.c_str(), HumanCount(rate).c_str(),
                  HumanDuration(elapsed).c_str());
  }
  std::fputs(line, stderr);
  std::fflush(stderr);
}

}  // namespace kgf
