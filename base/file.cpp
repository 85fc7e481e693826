// Reading files and the environment. See base/file.h.
#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "base/text.h"

extern char** environ;

namespace natsexp {

namespace {

// Opens a regular file for reading; returns the fd, or -1 with `problem` set.
int open_readable(const std::string& path, std::string& problem) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    problem = std::strerror(errno);
    return -1;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    problem = std::strerror(S_ISDIR(st.st_mode) ? EISDIR : errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

bool read_file(const std::string& path, std::string& out, std::string& problem, std::size_t limit) {
  const int fd = open_readable(path, problem);
  if (fd < 0) return false;
  out.clear();
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || out.size() + static_cast<std::size_t>(n) > limit) {
      if (n != 0) problem = n < 0 ? std::strerror(errno) : "file too large";
      ::close(fd);
      return n == 0;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> unreadable(const std::string& path) {
  std::string problem;
  const int fd = open_readable(path, problem);
  if (fd < 0) return "cannot read " + strings::quote(path) + ": " + problem;
  ::close(fd);
  return std::nullopt;
}

std::string read_secret_file(const std::string& path) {
  std::string content, problem;
  if (!read_file(path, content, problem, 1024 * 1024))
    throw std::runtime_error("cannot read " + strings::quote(path) + ": " + problem);
  if (!content.empty() && content.back() == '\n') {
    content.pop_back();
    if (!content.empty() && content.back() == '\r') content.pop_back();
  }
  if (content.empty()) throw std::runtime_error(strings::quote(path) + " is empty");
  return content;
}

std::string read_secret_env(const std::map<std::string, std::string>& environment, const std::string& name) {
  const auto it = environment.find(name);
  if (name.empty() || it == environment.end())
    throw std::runtime_error("environment variable " + strings::quote(name) + " is not set");
  std::string value = it->second;
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  if (value.empty()) throw std::runtime_error("environment variable " + strings::quote(name) + " is empty");
  return value;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const std::size_t eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

}  // namespace natsexp
