// Owning handles for nats.c objects: a unique_ptr whose deleter is the library's destroy function.
//
//   NatsPtr<natsMsg> reply;
//   natsConnection_Request(reply.out(), nc, subject, data, n, timeout_ms);
//
// `out()` hands the library a place to store a new object; whatever the handle held before is
// destroyed first, and the new object is owned once the call's full expression ends.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <string>

namespace natsexp::probe {

template <typename T>
struct NatsDeleter;

#define NATSEXP_NATS_DELETER(Type, destroy)                 \
  template <>                                               \
  struct NatsDeleter<Type> {                                \
    void operator()(Type* p) const noexcept { destroy(p); } \
  }

NATSEXP_NATS_DELETER(natsOptions, natsOptions_Destroy);
NATSEXP_NATS_DELETER(natsConnection, natsConnection_Destroy);
NATSEXP_NATS_DELETER(natsSubscription, natsSubscription_Destroy);
NATSEXP_NATS_DELETER(natsMsg, natsMsg_Destroy);
NATSEXP_NATS_DELETER(natsStatistics, natsStatistics_Destroy);
NATSEXP_NATS_DELETER(jsCtx, jsCtx_Destroy);
NATSEXP_NATS_DELETER(jsPubAck, jsPubAck_Destroy);
NATSEXP_NATS_DELETER(jsConsumerInfo, jsConsumerInfo_Destroy);

#undef NATSEXP_NATS_DELETER

template <typename T>
class NatsPtr {
 public:
  // What out() returns: converts to T** for the library call and, at the end of the full
  // expression, hands what the library stored to the owning NatsPtr.
  class OutParam {
   public:
    explicit OutParam(NatsPtr& owner) : owner_(owner) {}
    OutParam(const OutParam&) = delete;
    OutParam& operator=(const OutParam&) = delete;
    ~OutParam() { owner_.reset(raw_); }
    operator T**() { return &raw_; }  // NOLINT(google-explicit-constructor): used as an argument

   private:
    NatsPtr& owner_;
    T* raw_ = nullptr;
  };

  NatsPtr() = default;
  explicit NatsPtr(T* p) : p_(p) {}

  T* get() const { return p_.get(); }
  T* operator->() const { return p_.get(); }
  explicit operator bool() const { return static_cast<bool>(p_); }
  void reset(T* p = nullptr) { p_.reset(p); }
  T* release() { return p_.release(); }

  // For nats.c's `T** out` parameters: destroys what the handle held, then takes the new object.
  OutParam out() {
    p_.reset();
    return OutParam(*this);
  }

 private:
  std::unique_ptr<T, NatsDeleter<T>> p_;
};

// A status as text: "Timeout", "No Responders Available For Request"…
inline std::string status_text(natsStatus s) { return natsStatus_GetText(s); }

}  // namespace natsexp::probe
