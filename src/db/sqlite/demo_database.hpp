#pragma once
/// The embedded demo database (PRODUCT.md §1): the seed's sample schema — Region, CategorieArticles,
/// Article — with a view, indexes and a few hundred deterministic French-retail rows, so the seed's
/// usage examples run as written.
#include <string>

#include "common/result.hpp"

namespace azsql::db::sqlite {

/// Articles in a freshly created demo database.
inline constexpr int kDemoArticleCount = 420;

/// Creates the demo database at `path` unless a file already exists there (then does nothing and
/// returns false). Parent directories are created. The database is built in a temporary file in the
/// same directory and linked into place only when complete, so a crash never leaves a half database
/// and two processes racing to create it never overwrite each other. Returns true when it created it.
/// Thread-safe with respect to other callers (distinct temporary names).
Result<bool> create_demo_database(const std::string& path);

}  // namespace azsql::db::sqlite
