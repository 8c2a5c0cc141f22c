#include "infra/kafka/event_relay.h"

#include <librdkafka/rdkafka.h>

#include <chrono>

#include <nlohmann/json.hpp>

namespace mneme::infra::kafka {

void EventRelay::KafkaDeleter::operator()(rd_kafka_s* k) const {
  rd_kafka_flush(k, 10000);
  rd_kafka_destroy(k);
}

Result<std::unique_ptr<EventRelay>> EventRelay::Create(RelayOptions options,
                                                       store::RocksEventStore& store,
                                                       std::shared_ptr<spdlog::logger> log) {
  std::unique_ptr<EventRelay> relay(new EventRelay());
  relay->options_ = std::move(options);
  relay->store_ = &store;
  relay->log_ = std::move(log);
  relay->topic_ = relay->options_.topic_prefix + ".events";
  relay->keys_topic_ = relay->options_.topic_prefix + ".keys";
  relay->courier_topic_ = relay->options_.topic_prefix + ".courier";
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", relay->options_.brokers},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "5"},
      {"message.timeout.ms", "0"},  // never give up: the broker may be away for a while
  };
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return MakeError(Code::kInvalidArgument, std::string("kafka: ") + err);
    }
  }
  rd_kafka_conf_set_opaque(conf, relay.get());
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    static_cast<EventRelay*>(opaque)->OnDelivery(reinterpret_cast<uintptr_t>(m->_private),
                                                 m->err == RD_KAFKA_RESP_ERR_NO_ERROR);
  });
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (!producer) {
    rd_kafka_conf_destroy(conf);  // still ours: rd_kafka_new failed
    return MakeError(Code::kInvalidArgument, std::string("kafka: ") + err);
  }
  relay->producer_.reset(producer);
  relay->checkpoint_ = store.RelayPosition();
  relay->next_ = relay->checkpoint_ + 1;
  return relay;
}

EventRelay::~EventRelay() { Stop(); }

void EventRelay::Start() {
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

void EventRelay::Stop() {
  if (!thread_.joinable()) {
    return;
  }
  running_ = false;
  thread_.join();
  rd_kafka_flush(producer_.get(), 10000);
  SaveCheckpoint();
}

uint64_t EventRelay::Lag() const {
  const uint64_t head = store_->Head().value();
  const uint64_t done = checkpoint_.load();
  return head > done ? head - done : 0;
}

void EventRelay::OnDelivery(uint64_t position, bool ok) {
  std::lock_guard lock(mu_);
  if (!ok) {
    failed_ = true;
    return;
  }
  if (position <= checkpoint_.load()) {
    return;  // a copy from before a resend: counted already
  }
  if (auto it = parts_left_.find(position); it != parts_left_.end()) {
    if (--it->second > 0) {
      return;  // other messages of this event still in flight
    }
    parts_left_.erase(it);
  }
  delivered_.insert(position);
  uint64_t c = checkpoint_.load();
  while (!delivered_.empty() && *delivered_.begin() == c + 1) {
    delivered_.erase(delivered_.begin());
    ++c;
  }
  checkpoint_ = c;
}

std::vector<std::pair<std::string, std::optional<std::string>>> EventRelay::KeyMessagesFor(
    const domain::EventEnvelope& e) {
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  std::vector<std::string> owners;
  bool tombstones = false;
  if (e.type == "identity.erased") {
    auto doc = nlohmann::json::parse(e.data, nullptr, false);
    const auto plain = doc.is_object() ? doc.value("plain", nlohmann::json::object())
                                       : nlohmann::json::object();
    if (plain.contains("data_keys") && plain["data_keys"].is_array()) {
      for (const auto& k : plain["data_keys"]) {
        if (k.is_string()) {
          owners.push_back(k.get<std::string>());
        }
      }
    } else {
      owners.push_back(e.stream.substr(9));
    }
    tombstones = true;
  } else if (e.type == "flow.data_expired") {
    owners.push_back(e.stream);  // the retention job dropped the flow's key
    tombstones = true;
  } else if (e.version.value() == 1 && e.stream.rfind("identity-", 0) == 0) {
    owners.push_back(e.stream.substr(9));
  } else if (e.version.value() == 1 && e.stream.rfind("flow-", 0) == 0) {
    owners.push_back(e.stream);
  }
  for (const auto& owner : owners) {
    std::optional<std::string> wrapped;
    if (!tombstones) {
      auto key = store_->DataKey(owner);
      if (!key) {
        log_->warn("relay cannot read the data key of {}: {}", owner, key.error().message());
      } else {
        wrapped = *key;  // nullopt (erased since): a tombstone is the truth now
      }
      if (!wrapped && key && !*key) {
        // A stream without a key (a flow with nothing personal): nothing to publish.
        auto doc = nlohmann::json::parse(e.data, nullptr, false);
        if (!doc.is_object() || !doc.contains("pii")) {
          continue;
        }
      }
    }
    out.emplace_back(owner, wrapped);
  }
  return out;
}

void EventRelay::SaveCheckpoint() {
  if (auto s = store_->SetRelayPosition(checkpoint_.load()); !s) {
    log_->warn("relay checkpoint not saved error={}", s.error().message());
  }
}

void EventRelay::Run() {
  auto last_save = std::chrono::steady_clock::now();
  auto last_report = last_save;
  while (running_) {
    rd_kafka_poll(producer_.get(), 0);
    if (failed_.exchange(false)) {
      // A message was refused: produce again from the checkpoint (duplicates
      // carry their position, so consumers drop them).
      std::lock_guard lock(mu_);
      delivered_.clear();
      parts_left_.clear();
      next_ = checkpoint_.load() + 1;
      log_->warn("relay delivery failed; resending from position={}", next_);
    }
    uint64_t from;
    {
      std::lock_guard lock(mu_);
      from = next_;
    }
    auto events = store_->ReadAll(GlobalPosition(from), options_.batch);
    if (!events || events->empty()) {
      store_->WaitForPosition(GlobalPosition(from - 1), std::chrono::milliseconds(100));
    } else {
      for (const auto& e : *events) {
        const std::string position = std::to_string(e.position.value());
        const std::string version = std::to_string(e.version.value());
        const auto key_messages = KeyMessagesFor(e);
        // Mail goes to the couriers too, keyed by message id.
        const bool mail = e.type == "courier.message.queued" && e.stream.rfind("message-", 0) == 0;
        if (!key_messages.empty() || mail) {
          std::lock_guard lock(mu_);
          parts_left_[e.position.value()] =
              1 + static_cast<int>(key_messages.size()) + (mail ? 1 : 0);
        }
        rd_kafka_resp_err_t err;
        while (true) {
          err = rd_kafka_producev(
              producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()),
              RD_KAFKA_V_KEY(const_cast<char*>(e.stream.data()), e.stream.size()),
              RD_KAFKA_V_VALUE(const_cast<char*>(e.data.data()), e.data.size()),
              RD_KAFKA_V_HEADER("position", position.data(), static_cast<ssize_t>(position.size())),
              RD_KAFKA_V_HEADER("type", e.type.data(), static_cast<ssize_t>(e.type.size())),
              RD_KAFKA_V_HEADER("version", version.data(), static_cast<ssize_t>(version.size())),
              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
              RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(e.position.value()))),
              RD_KAFKA_V_END);
          if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || !running_) {
            break;
          }
          rd_kafka_poll(producer_.get(), 50);  // the local queue is full: wait for deliveries
        }
        for (const auto& [owner, wrapped] : key_messages) {
          if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            break;
          }
          // A null value is a tombstone.
          void* value = wrapped ? const_cast<char*>(wrapped->data()) : nullptr;
          const size_t value_size = wrapped ? wrapped->size() : 0;
          while (true) {
            err = rd_kafka_producev(
                producer_.get(), RD_KAFKA_V_TOPIC(keys_topic_.c_str()),
                RD_KAFKA_V_KEY(const_cast<char*>(owner.data()), owner.size()),
                RD_KAFKA_V_VALUE(value, value_size),
                RD_KAFKA_V_HEADER("position", position.data(), static_cast<ssize_t>(position.size())),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(e.position.value()))),
                RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || !running_) {
              break;
            }
            rd_kafka_poll(producer_.get(), 50);
          }
        }
        if (mail && err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          const std::string message_id = e.stream.substr(8);
          while (true) {
            err = rd_kafka_producev(
                producer_.get(), RD_KAFKA_V_TOPIC(courier_topic_.c_str()),
                RD_KAFKA_V_KEY(const_cast<char*>(message_id.data()), message_id.size()),
                RD_KAFKA_V_VALUE(const_cast<char*>(e.data.data()), e.data.size()),
                RD_KAFKA_V_HEADER("position", position.data(), static_cast<ssize_t>(position.size())),
                RD_KAFKA_V_HEADER("type", e.type.data(), static_cast<ssize_t>(e.type.size())),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(e.position.value()))),
                RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || !running_) {
              break;
            }
            rd_kafka_poll(producer_.get(), 50);
          }
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          failed_ = true;
          break;
        }
        std::lock_guard lock(mu_);
        next_ = e.position.value() + 1;
      }
    }
    if (std::chrono::steady_clock::now() - last_save > std::chrono::seconds(1)) {
      SaveCheckpoint();
      last_save = std::chrono::steady_clock::now();
    }
    if (std::chrono::steady_clock::now() - last_report > std::chrono::seconds(10)) {
      if (const uint64_t lag = Lag(); lag > 0) {
        log_->info("kafka relay lag={} checkpoint={}", lag, checkpoint_.load());
      }
      last_report = std::chrono::steady_clock::now();
    }
  }
}

}  // namespace mneme::infra::kafka
