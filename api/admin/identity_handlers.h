// The admin identity endpoints (Kratos's identity/handler.go):
// GET/POST/PATCH /admin/identities, GET/PUT/PATCH/DELETE
// /admin/identities/{id}, DELETE /admin/identities/{id}/credentials/{type}.
#pragma once

#include "api/admin/identity_service.h"
#include "api/http/router.h"

namespace mneme::api {

constexpr size_t kBatchPatchLimit = 2000;

enum class EraseByDefault { kNo, kYes };

class AuditService;
// erase_default: whether DELETE erases without ?erase=true
// (mneme.identities.erase_on_delete).
void AddIdentityRoutes(Router& router, IdentityService& service, AuditService& audit,
                       std::string admin_base_url, EraseByDefault erase_default);

}  // namespace mneme::api
