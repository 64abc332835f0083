// Progress: a one-line display of count, rate and ETA on stderr when stderr is a terminal;
// silent otherwise (logs, CI). Thread-safe: Add() may be called from many threads.
#ifndef KGF_BASE_PROGRESS_H_
#define KGF_BASE_PROGRESS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace kgf {

class Progress {
 public:
  // total = 0 means unknown (no ETA). `unit` names what is counted ("triples").
  Progress(std::string label, uint64_t total, std::string unit = "items");
  ~Progress();  // calls Finish()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Add(uint64_t n = 1);
  void Set(uint64_t done);
  // Draws the final line (on a TTY) and stops drawing.
  void Finish();
  uint64_t done() const { return done_.load(); }
  double ElapsedSeconds() const;

  // Forces the display on or off (default: isatty(stderr) and KGF_PROGRESS != 0).
  static void SetEnabled(bool enabled);

 private:
  void MaybeDraw(bool force);

  std::string label_, unit_;
  uint64_t total_;
  std::atomic<uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex draw_mu_;
  bool finished_ = false;
  bool enabled_;
};

// "1.23M", "456.0k", "789"
std::string HumanCount(double n);
// "1h02m", "3m05s", "12s"
std::string HumanDuration(double seconds);

}  // namespace kgf

#endif  // KGF_BASE_PROGRESS_H_
