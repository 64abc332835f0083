// Status and Result<T>: how kgforge reports bad input and environment failures.
// A Status is cheap to copy when OK; its message names the file, the line and the fix.
#ifndef KGF_BASE_STATUS_H_
#define KGF_BASE_STATUS_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/check.h"

namespace kgf {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input is malformed (bad line, bad flag, bad config)
  kNotFound,         // a named file, entity or tool does not exist
  kAlreadyExists,
  kFailedPrecondition,  // the environment is not as required (newer schema, wrong tokenizer)
  kDataLoss,            // a file is corrupt or truncated
  kIoError,             // the OS refused a read or write
  kUnimplemented,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: data/x.tsv:12: expected 3 columns, found 2"
  std::string ToString() const;
  // Returns a copy with `context + ": "` prepended to the message (same code).
  Status WithContext(std::string_view context) const;
  // Marks a Status as deliberately ignored.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status UnimplementedError(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Result<T>: a T or a non-OK Status. Accessing the value of an error is a bug (KGF_CHECK).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    KGF_CHECK(!status_.ok()) << "Result constructed from an OK Status without a value";
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    KGF_CHECK(ok()) << "value() of an error Result: " << status_.ToString();
    return *value_;
  }
  const T& value() const& {
    KGF_CHECK(ok()) << "value() of an error Result: " << status_.ToString();
    return *value_;
  }
  T&& value() && {
    KGF_CHECK(ok()) << "value() of an error Result: " << status_.ToString();
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

namespace internal {
inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const Result<T>& r) { return r.status(); }
}  // namespace internal

}  // namespace kgf

#define KGF_CONCAT_INNER_(a, b) a##b
#define KGF_CONCAT_(a, b) KGF_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` (a Status or Result) is not OK.
// The Status is copied out inside the full expression: `expr` may be `Make().status()`, a
// reference into a temporary that dies at the end of it (ASan: stack-use-after-scope).
#define KGF_RETURN_IF_ERROR(expr)                                               \
  do {                                                                          \
    ::kgf::Status kgf_status_copy_ = ::kgf::internal::GetStatus((expr));        \
    if (!kgf_status_copy_.ok()) return kgf_status_copy_;                        \
  } while (0)

// KGF_ASSIGN_OR_RETURN(auto x, MakeX()); declares/assigns x or returns the error.
#define KGF_ASSIGN_OR_RETURN(lhs, expr) \
  KGF_ASSIGN_OR_RETURN_IMPL_(KGF_CONCAT_(kgf_result_, __LINE__), lhs, expr)
#define KGF_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

#endif  // KGF_BASE_STATUS_H_
