#include "domain/identity/identity.h"

#include "domain/common/overloaded.h"

#include <algorithm>

namespace mneme::domain::identity {
namespace {

bool IsFirstFactor(const std::string& type) { return type == "password" || type == "code"; }

Status CheckState(const std::string& state) {
  if (state != "active" && state != "inactive") {
    return MakeError(Code::kInvalidArgument,
                     "identity state is not valid: \"" + state + "\" (active or inactive)");
  }
  return OkStatus();
}

}  // namespace

std::string StreamOf(const std::string& identity_id) { return "identity-" + identity_id; }

std::string TypeOf(const Event& e) {
  return std::visit([](const auto& ev) { return std::string(std::decay_t<decltype(ev)>::kType); }, e);
}

Result<std::vector<Event>> Decide(const Identity& state, const Command& command) {
  return std::visit(
      Overloaded{
          [&](const CreateIdentity& c) -> Result<std::vector<Event>> {
            if (state.exists) {
              return MakeError(Code::kAlreadyExists, "identity " + state.id + " already exists");
            }
            MNEME_RETURN_IF_ERROR(CheckState(c.state));
            std::vector<Event> out;
            out.push_back(IdentityCreated{c.schema_id, c.state, c.traits, c.metadata_public,
                                          c.metadata_admin, c.verifiable_addresses,
                                          c.recovery_addresses});
            for (const auto& cred : c.credentials) {
              out.push_back(CredentialSet{cred});
            }
            return out;
          },
          [&](const UpdateIdentity& c) -> Result<std::vector<Event>> {
            if (!state.exists || state.deleted) {
              return MakeError(Code::kNotFound, "identity not found");
            }
            std::vector<Event> out;
            const std::string new_state = c.state.empty() ? state.state : c.state;
            MNEME_RETURN_IF_ERROR(CheckState(new_state));
            const std::string schema_id = c.schema_id.empty() ? state.schema_id : c.schema_id;
            if (schema_id != state.schema_id || c.traits != state.traits ||
                c.verifiable_addresses != state.verifiable_addresses ||
                c.recovery_addresses != state.recovery_addresses) {
              out.push_back(TraitsUpdated{schema_id, c.traits, c.verifiable_addresses,
                                          c.recovery_addresses});
            }
            if (new_state != state.state) {
              out.push_back(StateChanged{new_state});
            }
            if (c.metadata_public != state.metadata_public) {
              out.push_back(MetadataPublicUpdated{c.metadata_public});
            }
            if (c.metadata_admin != state.metadata_admin) {
              out.push_back(MetadataAdminUpdated{c.metadata_admin});
            }
            std::map<std::string, Credential> creds = state.credentials;
            for (const auto& cred : c.credentials) {
              Credential next = cred;
              if (auto it = creds.find(cred.type); it != creds.end()) {
                next.version = it->second.version;
              }
              out.push_back(CredentialSet{next});
              creds[cred.type] = next;
            }
            // Identifiers follow the traits.
            for (const auto& [type, identifiers] : c.identifiers) {
              auto it = creds.find(type);
              if (it != creds.end() && it->second.identifiers != identifiers) {
                Credential next = it->second;
                next.identifiers = identifiers;
                out.push_back(CredentialSet{next});
              }
            }
            return out;
          },
          [&](const RemoveCredential& c) -> Result<std::vector<Event>> {
            if (!state.exists || state.deleted) {
              return MakeError(Code::kNotFound, "identity not found");
            }
            if (IsFirstFactor(c.type)) {
              return MakeError(Code::kInvalidArgument,
                               "You cannot remove first factor credentials.");
            }
            if (!state.credentials.count(c.type)) {
              return MakeError(Code::kNotFound,
                               "You tried to remove a " + c.type +
                                   " but this user has no " + c.type + " set up.");
            }
            return std::vector<Event>{CredentialRemoved{c.type}};
          },
          [&](const SetCredentialConfig& c) -> Result<std::vector<Event>> {
            if (!state.exists || state.deleted) {
              return MakeError(Code::kNotFound, "identity not found");
            }
            auto it = state.credentials.find(c.type);
            if (it == state.credentials.end()) {
              return MakeError(Code::kNotFound, "the identity has no " + c.type + " credential");
            }
            Credential next = it->second;
            next.config = c.config;
            return std::vector<Event>{CredentialSet{next}};
          },
          [&](const VerifyAddress& c) -> Result<std::vector<Event>> {
            if (!state.exists || state.deleted) {
              return MakeError(Code::kNotFound, "identity not found");
            }
            auto it = std::find_if(state.verifiable_addresses.begin(),
                                   state.verifiable_addresses.end(),
                                   [&](const auto& a) { return a.id == c.address_id; });
            if (it == state.verifiable_addresses.end()) {
              return MakeError(Code::kNotFound, "verifiable address not found");
            }
            if (it->verified) {
              return std::vector<Event>{};
            }
            return std::vector<Event>{AddressVerified{c.address_id}};
          },
          [&](const EraseIdentity&) -> Result<std::vector<Event>> {
            if (!state.exists || state.erased) {
              return MakeError(Code::kNotFound, "identity not found");
            }
            std::vector<Event> out;
            if (!state.deleted) {
              out.push_back(IdentityDeleted{});
            }
            out.push_back(IdentityErased{});
            return out;
          },
          [&](const DeleteIdentity&) -> Result<std::vector<Event>> {
            if (!state.exists || state.deleted) {
              return MakeError(Code::kNotFound, "identity not found");
            }
            return std::vector<Event>{IdentityDeleted{}};
          },
      },
      command);
}

Identity Evolve(Identity s, const Event& event, Timestamp at) {
  std::visit(Overloaded{
                 [&](const IdentityCreated& e) {
                   s.exists = true;
                   s.schema_id = e.schema_id;
                   s.state = e.state;
                   s.state_changed_at = at;
                   s.traits = e.traits;
                   s.metadata_public = e.metadata_public;
                   s.metadata_admin = e.metadata_admin;
                   s.verifiable_addresses = e.verifiable_addresses;
                   s.recovery_addresses = e.recovery_addresses;
                   s.created_at = at;
                 },
                 [&](const TraitsUpdated& e) {
                   s.schema_id = e.schema_id;
                   s.traits = e.traits;
                   s.verifiable_addresses = e.verifiable_addresses;
                   s.recovery_addresses = e.recovery_addresses;
                 },
                 [&](const StateChanged& e) {
                   s.state = e.state;
                   s.state_changed_at = at;
                 },
                 [&](const MetadataPublicUpdated& e) { s.metadata_public = e.metadata; },
                 [&](const MetadataAdminUpdated& e) { s.metadata_admin = e.metadata; },
                 [&](const CredentialSet& e) {
                   Credential c = e.credential;
                   auto it = s.credentials.find(c.type);
                   c.created_at = it == s.credentials.end() ? at : it->second.created_at;
                   c.updated_at = at;
                   s.credentials[c.type] = std::move(c);
                 },
                 [&](const CredentialRemoved& e) { s.credentials.erase(e.type); },
                 [&](const AddressVerified& e) {
                   for (auto& a : s.verifiable_addresses) {
                     if (a.id == e.address_id) {
                       a.verified = true;
                       a.verified_at = at;
                       a.status = "completed";
                       a.updated_at = at;
                     }
                   }
                 },
                 [&](const IdentityDeleted&) { s.deleted = true; },
                 [&](const IdentityErased&) { s.erased = true; },
             },
             event);
  s.updated_at = at;
  return s;
}

std::set<std::pair<std::string, std::string>> ClaimsOf(const Identity& identity) {
  std::set<std::pair<std::string, std::string>> out;
  if (!identity.exists || identity.deleted) {
    return out;
  }
  for (const auto& [type, cred] : identity.credentials) {
    for (const auto& id : cred.identifiers) {
      out.emplace("identifier." + type, id);
    }
  }
  for (const auto& a : identity.verifiable_addresses) {
    out.emplace("address.verifiable." + a.via, a.value);
  }
  for (const auto& a : identity.recovery_addresses) {
    out.emplace("address.recovery." + a.via, a.value);
  }
  return out;
}

std::vector<Claim> ClaimChanges(const Identity& before, const Identity& after) {
  const auto old_claims = ClaimsOf(before);
  const auto new_claims = ClaimsOf(after);
  std::vector<Claim> out;
  for (const auto& c : old_claims) {
    if (!new_claims.count(c)) {
      out.push_back(Claim{ClaimAction::kRelease, c.first, c.second});
    }
  }
  for (const auto& c : new_claims) {
    if (!old_claims.count(c)) {
      out.push_back(Claim{ClaimAction::kClaim, c.first, c.second});
    }
  }
  return out;
}

namespace {

// Keeps addresses that stay (same value and via), adds new ones with fresh ids.
template <class Address>
std::vector<Address> MergeAddresses(const std::vector<Address>& existing,
                                    const std::vector<std::pair<std::string, std::string>>& wanted,
                                    IdGenerator& ids, Timestamp now) {
  std::vector<Address> out;
  auto same = [](const std::string& value, const std::string& via) {
    return [&value, &via](const Address& a) { return a.value == value && a.via == via; };
  };
  for (const auto& [value, via] : wanted) {
    auto it = std::find_if(existing.begin(), existing.end(), same(value, via));
    if (it != existing.end()) {
      out.push_back(*it);
    } else if (std::none_of(out.begin(), out.end(), same(value, via))) {
      Address a;
      a.id = ids.NewUuid();
      a.value = value;
      a.via = via;
      a.created_at = a.updated_at = now;
      out.push_back(a);
    }
  }
  return out;
}

}  // namespace

std::vector<VerifiableAddress> MergeVerifiable(
    const std::vector<VerifiableAddress>& existing,
    const std::vector<std::pair<std::string, std::string>>& wanted, IdGenerator& ids,
    Timestamp now) {
  return MergeAddresses(existing, wanted, ids, now);
}

std::vector<RecoveryAddress> MergeRecovery(
    const std::vector<RecoveryAddress>& existing,
    const std::vector<std::pair<std::string, std::string>>& wanted, IdGenerator& ids,
    Timestamp now) {
  return MergeAddresses(existing, wanted, ids, now);
}

}  // namespace mneme::domain::identity
