#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "db/sqlite/demo_database.hpp"
#include "db/sqlite/sqlite_connection.hpp"
#include "test_util.hpp"

namespace azsql::db::sqlite {
namespace {

using testing::Capture;
using testing::file_bytes;
using testing::TempDir;

std::vector<std::string> dir_entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(DemoDatabase, CreatesParentDirectoriesAndIsIdempotent) {
  TempDir dir;
  const std::string path = dir.path("nested/deeper/demo.db");
  auto first = create_demo_database(path);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(*first);
  EXPECT_EQ(dir_entries(dir.path("nested/deeper")), std::vector<std::string>{"demo.db"});  // no temp files left
  const std::string bytes = file_bytes(path);
  auto second = create_demo_database(path);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  EXPECT_EQ(file_bytes(path), bytes);
}

TEST(DemoDatabase, NeverOverwritesAnExistingFile) {
  TempDir dir;
  const std::string path = dir.path("mine.db");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("user data", f);
    std::fclose(f);
  }
  auto r = create_demo_database(path);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(file_bytes(path), "user data");
}

TEST(DemoDatabase, ContentIsDeterministicAndRealistic) {
  TempDir a, b;
  ASSERT_TRUE(create_demo_database(a.path("d.db")).ok());
  ASSERT_TRUE(create_demo_database(b.path("d.db")).ok());
  auto ca = SqliteConnection::open(a.path("d.db"));
  auto cb = SqliteConnection::open(b.path("d.db"));
  ASSERT_TRUE(ca.ok() && cb.ok());
  const char* dump = "SELECT group_concat(Article_Id || '|' || Libelle || '|' || Tarif || '|' || RegionId || '|' || "
                     "ifnull(CategorieArticlesId, '-') || '|' || Stock || '|' || DateCreation, ';') FROM Article";
  Capture da, db;
  ASSERT_TRUE((*ca)->execute(dump, {}, &da, {}).ok());
  ASSERT_TRUE((*cb)->execute(dump, {}, &db, {}).ok());
  EXPECT_EQ(da.rows.at(0).at(0).s, db.rows.at(0).at(0).s);

  Capture stats;
  ASSERT_TRUE((*ca)
                  ->execute("SELECT count(*), sum(Tarif > 500), min(Tarif), count(DISTINCT RegionId), "
                            "count(DISTINCT CategorieArticlesId), sum(CategorieArticlesId IS NULL), "
                            "min(DateCreation), max(DateCreation), (SELECT count(*) FROM Region), "
                            "(SELECT Region_Libelle FROM Region WHERE Region_Id = 1) FROM Article",
                            {}, &stats, {})
                  .ok());
  const Row& s = stats.rows.at(0);
  EXPECT_EQ(s[0].i, kDemoArticleCount);
  EXPECT_GE(s[1].i, 20);   // some articles above 500
  EXPECT_GT(s[2].f, 0.0);
  EXPECT_EQ(s[3].i, 13);   // every region has articles
  EXPECT_EQ(s[4].i, 10);
  EXPECT_GT(s[5].i, 0);    // a few uncategorised
  EXPECT_EQ(s[6].s.substr(0, 4), "2023");
  EXPECT_EQ(s[8].i, 13);
  EXPECT_EQ(s[9].s, "Île-de-France");
  Capture per_region;
  ASSERT_TRUE((*ca)->execute("SELECT min(n) FROM (SELECT count(*) AS n FROM Article GROUP BY RegionId)", {},
                             &per_region, {})
                  .ok());
  EXPECT_GE(per_region.rows.at(0).at(0).i, 10);  // `… WHERE RegionId = 1 LIMIT 10` fills its page
  // The file passes SQLite's own integrity and foreign key checks.
  Capture check;
  ASSERT_TRUE((*ca)->execute("PRAGMA integrity_check", {}, &check, {}).ok());
  EXPECT_EQ(check.rows.at(0).at(0).s, "ok");
  Capture fk;
  ASSERT_TRUE((*ca)->execute("PRAGMA foreign_key_check", {}, &fk, {}).ok());
  EXPECT_TRUE(fk.rows.empty());
}

TEST(DemoDatabase, ReportsAnUncreatableLocation) {
  TempDir dir;
  {
    std::FILE* f = std::fopen(dir.path("file").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
  }
  auto r = create_demo_database(dir.path("file/sub/demo.db"));  // a parent is a regular file
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Io);
}

}  // namespace
}  // namespace azsql::db::sqlite
