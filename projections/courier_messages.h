// CourierMessages: the index of courier messages (courier_messages_v1),
// folded from message-* streams and identity.deleted. Rows:
//   "m/<message id>"                -> {"status","recipient","identity_id","template_type","order"}
//   "o/<~created hex>/<message id>" -> <message id>  (newest first, Kratos's listing order)
//   "q/<message id>"                -> ""  (queued or processing: the embedded courier's queue)
//   "x/<identity id>/<message id>"  -> ""  (messages to an identity)
// The message itself (subject, bodies, dispatches) is folded from its stream
// when asked for; the index serves filters, counts and the queue. Deleting an
// identity removes its messages' rows. The recipient is opened with the mail
// vault. Stateless apart from the cipher: safe on the writer and a rebuild.
#pragma once

#include <string>

#include "domain/event/personal_data.h"
#include "domain/event/projection.h"

namespace mneme::projections {

class CourierMessages final : public domain::Projection {
 public:
  static constexpr const char* kName = "courier_messages_v1";
  explicit CourierMessages(domain::PersonalDataCipher& mail_cipher) : cipher_(mail_cipher) {}
  std::string Name() const override { return kName; }
  Status Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) override;

  static std::string RowKey(const std::string& id) { return "m/" + id; }
  static std::string QueueKey(const std::string& id) { return "q/" + id; }
  static std::string IdentityPrefix(const std::string& identity_id) {
    return "x/" + identity_id + "/";
  }
  static std::string OrderKey(domain::Timestamp created, const std::string& id);
  // The status a message has after an event of this type ("" if none changes it).
  static std::string StatusAfter(const std::string& event_type);

 private:
  domain::PersonalDataCipher& cipher_;
};

}  // namespace mneme::projections
