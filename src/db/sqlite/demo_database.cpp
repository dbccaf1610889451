#include "db/sqlite/demo_database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "db/sqlite/sqlite_connection.hpp"

namespace azsql::db::sqlite {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE Region (
  Region_Id INTEGER PRIMARY KEY AUTOINCREMENT,
  Region_Libelle TEXT NOT NULL UNIQUE
);
CREATE TABLE CategorieArticles (
  CategorieArticles_Id INTEGER PRIMARY KEY AUTOINCREMENT,
  Libelle TEXT NOT NULL UNIQUE
);
CREATE TABLE Article (
  Article_Id INTEGER PRIMARY KEY AUTOINCREMENT,
  Libelle TEXT NOT NULL,
  Tarif REAL NOT NULL CHECK (Tarif >= 0),
  RegionId INTEGER NOT NULL REFERENCES Region(Region_Id),
  CategorieArticlesId INTEGER REFERENCES CategorieArticles(CategorieArticles_Id),
  Stock INTEGER NOT NULL DEFAULT 0 CHECK (Stock >= 0),
  DateCreation TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now'))
);
CREATE INDEX IX_Article_RegionId ON Article (RegionId);
CREATE INDEX IX_Article_CategorieArticlesId ON Article (CategorieArticlesId);
CREATE VIEW v_ArticleDetails AS
  SELECT a.Article_Id, a.Libelle, a.Tarif, a.Stock, r.Region_Libelle AS Region,
         c.Libelle AS Categorie, a.DateCreation
  FROM Article AS a
  JOIN Region AS r ON r.Region_Id = a.RegionId
  LEFT JOIN CategorieArticles AS c ON c.CategorieArticles_Id = a.CategorieArticlesId;
)sql";

constexpr std::array<const char*, 13> kRegions = {
    "Île-de-France", "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne", "Centre-Val de Loire",
    "Corse", "Grand Est", "Hauts-de-France", "Normandie", "Nouvelle-Aquitaine", "Occitanie", "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur"};

struct Product {
  const char* name;
  double min_price, max_price;
};

struct Category {
  const char* name;
  std::array<Product, 8> products;
};

constexpr std::array<Category, 10> kCategories = {{
    {"Électroménager",
     {{{"Réfrigérateur combiné", 449, 1290}, {"Lave-linge hublot 9 kg", 379, 899}, {"Lave-vaisselle encastrable", 399, 1049},
       {"Four multifonction", 249, 799}, {"Aspirateur sans sac", 89, 449}, {"Micro-ondes grill", 79, 259},
       {"Machine à expresso", 129, 999}, {"Robot pâtissier", 149, 699}}}},
    {"Informatique",
     {{{"Ordinateur portable 15 pouces", 549, 1899}, {"Écran 27 pouces", 189, 649}, {"Clavier mécanique", 59, 189},
       {"Souris sans fil", 19, 99}, {"Imprimante laser couleur", 199, 549}, {"Disque SSD 1 To", 69, 189},
       {"Station d'accueil USB-C", 89, 259}, {"Routeur Wi-Fi 6", 79, 329}}}},
    {"Téléphonie",
     {{{"Smartphone 128 Go", 249, 899}, {"Smartphone 256 Go", 449, 1399}, {"Coque de protection", 9, 39},
       {"Chargeur rapide 65 W", 19, 59}, {"Écouteurs sans fil", 39, 279}, {"Montre connectée", 99, 499},
       {"Batterie externe 20 000 mAh", 25, 79}, {"Téléphone fixe sans fil", 29, 109}}}},
    {"Épicerie fine",
     {{{"Foie gras de canard 180 g", 18, 45}, {"Confiture de figues", 4, 9}, {"Huile d'olive de Provence 75 cl", 12, 29},
       {"Miel de lavande 500 g", 8, 19}, {"Fleur de sel de Guérande", 5, 12}, {"Moutarde de Dijon", 2, 7},
       {"Caramel au beurre salé", 5, 11}, {"Calissons d'Aix 250 g", 11, 24}}}},
    {"Vins et spiritueux",
     {{{"Champagne brut", 24, 89}, {"Saint-Émilion grand cru", 19, 129}, {"Chablis premier cru", 22, 49},
       {"Côtes-du-Rhône", 7, 18}, {"Cognac XO", 79, 649}, {"Calvados hors d'âge", 35, 119},
       {"Crémant d'Alsace", 9, 21}, {"Muscadet sur lie", 6, 14}}}},
    {"Mode",
     {{{"Marinière en coton", 29, 89}, {"Veste en lin", 79, 249}, {"Chaussures en cuir", 89, 329},
       {"Béret en laine", 19, 49}, {"Foulard en soie", 39, 189}, {"Jean brut", 49, 149},
       {"Sac à main en cuir", 149, 1290}, {"Imperméable", 69, 289}}}},
    {"Maison et jardin",
     {{{"Salon de jardin en teck", 399, 1590}, {"Tondeuse électrique", 149, 549}, {"Barbecue à charbon", 79, 399},
       {"Parasol déporté", 89, 349}, {"Parure de lit en lin", 69, 229}, {"Cocotte en fonte 24 cm", 89, 259},
       {"Lampe de bureau", 29, 129}, {"Canapé trois places", 590, 2190}}}},
    {"Sport et loisirs",
     {{{"Vélo à assistance électrique", 990, 2890}, {"Raquette de tennis", 49, 229}, {"Tente 4 places", 89, 449},
       {"Sac de randonnée 40 L", 49, 189}, {"Ballon de rugby", 15, 49}, {"Planche de surf", 249, 749},
       {"Kayak gonflable", 199, 699}, {"Boules de pétanque", 25, 119}}}},
    {"Beauté et santé",
     {{{"Crème hydratante", 9, 69}, {"Eau de parfum 100 ml", 49, 189}, {"Savon de Marseille", 3, 9},
       {"Brosse à dents électrique", 29, 179}, {"Sèche-cheveux ionique", 39, 399}, {"Huile de soin", 12, 49},
       {"Shampooing solide", 6, 14}, {"Tensiomètre", 29, 89}}}},
    {"Librairie",
     {{{"Bande dessinée cartonnée", 11, 25}, {"Roman policier", 7, 24}, {"Guide de voyage", 14, 32},
       {"Livre de cuisine régionale", 19, 45}, {"Agenda 2025", 9, 29}, {"Atlas illustré", 24, 59},
       {"Coffret intégrale", 49, 189}, {"Beau livre photographie", 35, 89}}}},
}};

constexpr std::array<const char*, 10> kQualifiers = {"Classique", "Premium", "Éco", "Pro", "Compact",
                                                     "Grand format", "Édition limitée", "Essentiel", "Origine France",
                                                     "Signature"};

/// Deterministic generator (64-bit LCG, Knuth's MMIX constants): the demo data is the same everywhere.
class Lcg {
 public:
  explicit Lcg(std::uint64_t seed) : s_(seed) {}
  std::uint32_t next() {
    s_ = s_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(s_ >> 33);
  }
  std::uint32_t below(std::uint32_t n) { return next() % n; }
  double unit() { return static_cast<double>(next()) / 2147483648.0; }

 private:
  std::uint64_t s_;
};

/// "YYYY-MM-DD hh:mm:ss" for `days` after 1970-01-01 plus `seconds` (proleptic Gregorian).
std::string timestamp(std::int64_t days, int seconds) {
  // Civil-from-days: shift to an era starting 0000-03-01, then split into 400-year eras.
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02d:%02d:%02d", static_cast<long long>(y), m, d, seconds / 3600,
                (seconds / 60) % 60, seconds % 60);
  return buf;
}

Status fill(SqliteConnection& c) {
  ExecOptions o;
  o.timeout = std::chrono::milliseconds(0);
  char* msg = nullptr;
  if (sqlite3_exec(c.handle(), kSchema, nullptr, nullptr, &msg) != SQLITE_OK) {
    Error e = Error::make(ErrorKind::Database, std::string("creating the demo schema: ") + (msg ? msg : "?"));
    sqlite3_free(msg);
    return e;
  }
  if (auto s = c.begin(); !s.ok()) return s;
  for (const char* r : kRegions) {
    auto res = c.execute("INSERT INTO Region (Region_Libelle) VALUES (?)", {{"", Value::text(r)}}, nullptr, o);
    if (!res.ok()) return std::move(res).error();
  }
  for (const auto& cat : kCategories) {
    auto res = c.execute("INSERT INTO CategorieArticles (Libelle) VALUES (?)", {{"", Value::text(cat.name)}}, nullptr, o);
    if (!res.ok()) return std::move(res).error();
  }
  Lcg rng(20240611);
  const std::int64_t start_day = 19358;  // 2023-01-01
  for (int i = 0; i < kDemoArticleCount; ++i) {
    const std::uint32_t ci = rng.below(static_cast<std::uint32_t>(kCategories.size()));
    const Product& p = kCategories[ci].products[rng.below(8)];
    const char* q = kQualifiers[rng.below(static_cast<std::uint32_t>(kQualifiers.size()))];
    const double raw = p.min_price + (p.max_price - p.min_price) * rng.unit();
    const double tarif = std::floor(raw) + (raw < 20 ? 0.5 : 0.99);
    const std::int64_t stock = rng.below(10) == 0 ? 0 : rng.below(240) + 1;
    const std::int64_t region = i % static_cast<int>(kRegions.size()) + 1;
    Value category = rng.below(40) == 0 ? Value::null() : Value::integer(ci + 1);
    const std::string created = timestamp(start_day + static_cast<std::int64_t>(i * 1.7), 8 * 3600 + static_cast<int>(rng.below(11 * 3600)));
    Params params = {{"", Value::text(std::string(p.name) + " " + q)},
                     {"", Value::real(tarif)},
                     {"", Value::integer(region)},
                     {"", std::move(category)},
                     {"", Value::integer(stock)},
                     {"", Value::text(created)}};
    auto res = c.execute(
        "INSERT INTO Article (Libelle, Tarif, RegionId, CategorieArticlesId, Stock, DateCreation) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        params, nullptr, o);
    if (!res.ok()) return std::move(res).error();
  }
  return c.commit();
}

std::atomic<unsigned> g_counter{0};

void remove_quietly(const std::string& p) {
  std::error_code ec;
  std::filesystem::remove(p, ec);
}

}  // namespace

Result<bool> create_demo_database(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(path, ec)) return false;
  const fs::path target(path);
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      return Error::make(ErrorKind::Io, "cannot create the directory for the demo database: " + ec.message());
    }
  }
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter++);
  remove_quietly(tmp);
  Status filled;
  {
    OpenOptions oo;
    oo.wal = false;  // build in rollback-journal mode: a single self-contained file to link into place
    auto c = SqliteConnection::open(tmp, oo);
    if (!c.ok()) {
      remove_quietly(tmp);
      return std::move(c).error();
    }
    filled = fill(**c);
    if (!filled.ok()) (*c)->reset();
  }  // closed here
  if (!filled.ok()) {
    remove_quietly(tmp);
    remove_quietly(tmp + "-journal");
    return std::move(filled).error();
  }
  // link() fails if the target appeared meanwhile: never overwrite a database someone else created.
  bool created = false;
  if (::link(tmp.c_str(), path.c_str()) == 0) {
    created = true;
  } else if (errno != EEXIST) {
    // File systems without hard links: rename, which is atomic but replaces a racing creator's file.
    if (!fs::exists(path, ec)) {
      fs::rename(tmp, path, ec);
      if (ec) {
        remove_quietly(tmp);
        return Error::make(ErrorKind::Io, "cannot move the demo database into place: " + ec.message());
      }
      created = true;
    }
  }
  remove_quietly(tmp);
  if (created && target.has_parent_path()) {
    const int dfd = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)::fsync(dfd);
      ::close(dfd);
    }
  }
  return created;
}

}  // namespace azsql::db::sqlite
