// Test helper that ages a store, to exercise mneme-migrate and serve's checks:
//   store_tool set-layout DIR N        record layout version N (0 removes it)
//   store_tool reset-projection DIR P  forget projection P's column family, as
//                                      if P were a new projection version
//   store_tool add-retired DIR P       a family P with a row, recorded as a
//                                      projection this build does not have
#include <cstdio>
#include <string>
#include <vector>

#include <rocksdb/db.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: store_tool set-layout DIR N | reset-projection DIR NAME\n");
    return 2;
  }
  const std::string command = argv[1], dir = argv[2], arg = argv[3];
  rocksdb::DBOptions options;
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(options, dir, &names).ok()) {
    std::fprintf(stderr, "not a store: %s\n", dir.c_str());
    return 1;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names) {
    descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(options, dir, descriptors, &handles, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  for (auto* h : handles) {
    if (h->GetName() == "meta") {
      meta = h;
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (command == "set-layout") {
    s = arg == "0" ? db->Delete(wo, meta, "layout_version") : db->Put(wo, meta, "layout_version", arg);
  } else if (command == "reset-projection") {
    s = db->Delete(wo, meta, "projection/" + arg);
  } else if (command == "add-retired") {
    rocksdb::ColumnFamilyHandle* cf = nullptr;
    s = db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), arg, &cf);
    if (s.ok()) {
      s = db->Put(wo, cf, "i/old-row", "{}");
    }
    if (s.ok()) {
      s = db->Put(wo, meta, "projection/" + arg, arg);
    }
    if (cf) {
      handles.push_back(cf);
    }
  } else {
    s = rocksdb::Status::InvalidArgument("unknown command " + command);
  }
  for (auto* h : handles) {
    db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  db->Close().PermitUncheckedError();
  delete db;
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
