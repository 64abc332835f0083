// Leveled logging to stderr: KGF_LOG(INFO) << "imported " << n << " triples";
// The level comes from SetLogLevel() or the KGF_LOG_LEVEL environment variable
// (debug, info, warning, error). Thread-safe: each message is written with one call.
#ifndef KGF_BASE_LOGGING_H_
#define KGF_BASE_LOGGING_H_

#include <sstream>

namespace kgf {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);

namespace internal {
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};
}  // namespace internal

}  // namespace kgf

#define KGF_LOG_LEVEL_DEBUG ::kgf::LogLevel::kDebug
#define KGF_LOG_LEVEL_INFO ::kgf::LogLevel::kInfo
#define KGF_LOG_LEVEL_WARNING ::kgf::LogLevel::kWarning
#define KGF_LOG_LEVEL_ERROR ::kgf::LogLevel::kError

#define KGF_LOG(severity)                                      \
  if (!::kgf::LogEnabled(KGF_LOG_LEVEL_##severity)) {          \
  } else                                                       \
    ::kgf::internal::LogMessage(KGF_LOG_LEVEL_##severity, __FILE__, __LINE__).stream()

#endif  // KGF_BASE_LOGGING_H_
