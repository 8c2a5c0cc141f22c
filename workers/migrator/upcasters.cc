#include "workers/migrator/upcasters.h"

#include "domain/identity/identity.h"

namespace mneme::workers::migrator {

UpcasterRegistry UpcasterRegistry::Default() {
  UpcasterRegistry r;
  using namespace domain::identity;
  for (const char* type :
       {IdentityCreated::kType, TraitsUpdated::kType, StateChanged::kType,
        MetadataPublicUpdated::kType, MetadataAdminUpdated::kType, CredentialSet::kType,
        CredentialRemoved::kType, AddressVerified::kType, IdentityDeleted::kType,
        IdentityErased::kType}) {
    r.SetLatest(type, 1);
  }
  return r;
}

uint32_t UpcasterRegistry::Latest(const std::string& type) const {
  auto it = latest_.find(type);
  return it == latest_.end() ? 1 : it->second;
}

Result<domain::EventEnvelope> UpcasterRegistry::UpcastToLatest(domain::EventEnvelope e) const {
  const uint32_t latest = Latest(e.type);
  while (e.schema < latest) {
    auto it = upcasts_.find({e.type, e.schema});
    if (it == upcasts_.end()) {
      return MakeError(Code::kDataLoss, "no upcaster for " + e.type + " schema " +
                                            std::to_string(e.schema));
    }
    MNEME_TRY(e.data, it->second(e.data));
    ++e.schema;
  }
  return e;
}

}  // namespace mneme::workers::migrator
