#include "sql/classifier.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "common/text.hpp"
#include "sql/lexer.hpp"

namespace azsql::sql {
namespace {

// Keywords the classifier looks at. Anything else is Kw::None.
enum class Kw : std::uint8_t {
  None, All, Alter, Analyze, As, Attach, Backup, Begin, Break, Bulk, Case, Checkpoint, Close, Commit,
  Add, Continue, Conversation, Counter, Create, Cube, Dbcc, Deallocate, Declare, Default, Delete, Deny, Detach,
  Disable, Distributed, Do, Drop, Dump, Else, Enable, End, Except, Exec, Execute, Explain, Fetch, For, Get,
  Goto, Grant, Holdlock, If, Insert, Intersect, Into, Join, Kill, Lineno, Load, Login, Merge, Move, Next, Nowait,
  Offset, On, Open, Opendatasource, Openquery, Openrowset, Output, Paglock, Pragma, Print, Raiserror,
  Readtext, Receive, Reconfigure, Reindex, Release, Replace, Restore, Return, Revert, Revoke,
  Rollback, Rollup, Row, Rows, Save, Savepoint, Select, Send, Sensitivity, Set, Setuser, Shutdown, Signature, Statistics,
  Tablock, Tablockx, Then, Throw, Ties, Top, Tran, Transaction, Trigger, Truncate, Union, Update,
  Updatetext, Updlock, Use, Vacuum, Value, Values, Waitfor, Where, While, With, Writetext, Xlock,
};

struct KwEntry {
  std::string_view text;  // upper case, sorted
  Kw kw;
};

constexpr std::array kKeywords = {
    KwEntry{"ADD", Kw::Add}, KwEntry{"ALL", Kw::All}, KwEntry{"ALTER", Kw::Alter}, KwEntry{"ANALYZE", Kw::Analyze},
    KwEntry{"AS", Kw::As}, KwEntry{"ATTACH", Kw::Attach}, KwEntry{"BACKUP", Kw::Backup},
    KwEntry{"BEGIN", Kw::Begin}, KwEntry{"BREAK", Kw::Break}, KwEntry{"BULK", Kw::Bulk},
    KwEntry{"CASE", Kw::Case}, KwEntry{"CHECKPOINT", Kw::Checkpoint}, KwEntry{"CLOSE", Kw::Close},
    KwEntry{"COMMIT", Kw::Commit}, KwEntry{"CONTINUE", Kw::Continue},
    KwEntry{"CONVERSATION", Kw::Conversation}, KwEntry{"COUNTER", Kw::Counter}, KwEntry{"CREATE", Kw::Create}, KwEntry{"CUBE", Kw::Cube},
    KwEntry{"DBCC", Kw::Dbcc}, KwEntry{"DEALLOCATE", Kw::Deallocate}, KwEntry{"DECLARE", Kw::Declare},
    KwEntry{"DEFAULT", Kw::Default}, KwEntry{"DELETE", Kw::Delete}, KwEntry{"DENY", Kw::Deny},
    KwEntry{"DETACH", Kw::Detach}, KwEntry{"DISABLE", Kw::Disable},
    KwEntry{"DISTRIBUTED", Kw::Distributed}, KwEntry{"DO", Kw::Do}, KwEntry{"DROP", Kw::Drop}, KwEntry{"DUMP", Kw::Dump},
    KwEntry{"ELSE", Kw::Else}, KwEntry{"ENABLE", Kw::Enable}, KwEntry{"END", Kw::End},
    KwEntry{"EXCEPT", Kw::Except}, KwEntry{"EXEC", Kw::Exec}, KwEntry{"EXECUTE", Kw::Execute},
    KwEntry{"EXPLAIN", Kw::Explain}, KwEntry{"FETCH", Kw::Fetch}, KwEntry{"FOR", Kw::For},
    KwEntry{"GET", Kw::Get}, KwEntry{"GOTO", Kw::Goto}, KwEntry{"GRANT", Kw::Grant},
    KwEntry{"HOLDLOCK", Kw::Holdlock}, KwEntry{"IF", Kw::If}, KwEntry{"INSERT", Kw::Insert},
    KwEntry{"INTERSECT", Kw::Intersect}, KwEntry{"INTO", Kw::Into}, KwEntry{"JOIN", Kw::Join},
    KwEntry{"KILL", Kw::Kill}, KwEntry{"LINENO", Kw::Lineno}, KwEntry{"LOAD", Kw::Load}, KwEntry{"LOGIN", Kw::Login},
    KwEntry{"MERGE", Kw::Merge}, KwEntry{"MOVE", Kw::Move}, KwEntry{"NEXT", Kw::Next}, KwEntry{"NOWAIT", Kw::Nowait},
    KwEntry{"OFFSET", Kw::Offset}, KwEntry{"ON", Kw::On}, KwEntry{"OPEN", Kw::Open}, KwEntry{"OPENDATASOURCE", Kw::Opendatasource},
    KwEntry{"OPENQUERY", Kw::Openquery}, KwEntry{"OPENROWSET", Kw::Openrowset},
    KwEntry{"OUTPUT", Kw::Output}, KwEntry{"PAGLOCK", Kw::Paglock}, KwEntry{"PRAGMA", Kw::Pragma},
    KwEntry{"PRINT", Kw::Print}, KwEntry{"RAISERROR", Kw::Raiserror}, KwEntry{"READTEXT", Kw::Readtext},
    KwEntry{"RECEIVE", Kw::Receive}, KwEntry{"RECONFIGURE", Kw::Reconfigure},
    KwEntry{"REINDEX", Kw::Reindex}, KwEntry{"RELEASE", Kw::Release}, KwEntry{"REPLACE", Kw::Replace},
    KwEntry{"RESTORE", Kw::Restore}, KwEntry{"RETURN", Kw::Return}, KwEntry{"REVERT", Kw::Revert},
    KwEntry{"REVOKE", Kw::Revoke}, KwEntry{"ROLLBACK", Kw::Rollback}, KwEntry{"ROLLUP", Kw::Rollup},
    KwEntry{"ROW", Kw::Row}, KwEntry{"ROWS", Kw::Rows}, KwEntry{"SAVE", Kw::Save},
    KwEntry{"SAVEPOINT", Kw::Savepoint}, KwEntry{"SELECT", Kw::Select}, KwEntry{"SEND", Kw::Send},
    KwEntry{"SENSITIVITY", Kw::Sensitivity}, KwEntry{"SET", Kw::Set}, KwEntry{"SETUSER", Kw::Setuser}, KwEntry{"SHUTDOWN", Kw::Shutdown}, KwEntry{"SIGNATURE", Kw::Signature},
    KwEntry{"STATISTICS", Kw::Statistics}, KwEntry{"TABLOCK", Kw::Tablock},
    KwEntry{"TABLOCKX", Kw::Tablockx}, KwEntry{"THEN", Kw::Then}, KwEntry{"THROW", Kw::Throw},
    KwEntry{"TIES", Kw::Ties}, KwEntry{"TOP", Kw::Top}, KwEntry{"TRAN", Kw::Tran},
    KwEntry{"TRANSACTION", Kw::Transaction}, KwEntry{"TRIGGER", Kw::Trigger},
    KwEntry{"TRUNCATE", Kw::Truncate}, KwEntry{"UNION", Kw::Union}, KwEntry{"UPDATE", Kw::Update},
    KwEntry{"UPDATETEXT", Kw::Updatetext}, KwEntry{"UPDLOCK", Kw::Updlock}, KwEntry{"USE", Kw::Use},
    KwEntry{"VACUUM", Kw::Vacuum}, KwEntry{"VALUE", Kw::Value}, KwEntry{"VALUES", Kw::Values},
    KwEntry{"WAITFOR", Kw::Waitfor}, KwEntry{"WHERE", Kw::Where}, KwEntry{"WHILE", Kw::While},
    KwEntry{"WITH", Kw::With}, KwEntry{"WRITETEXT", Kw::Writetext}, KwEntry{"XLOCK", Kw::Xlock},
};

constexpr bool keywords_sorted() {
  for (std::size_t i = 1; i < kKeywords.size(); ++i) {
    if (!(kKeywords[i - 1].text < kKeywords[i].text)) return false;
  }
  return true;
}
static_assert(keywords_sorted(), "kKeywords must be sorted for binary search");

using text::iequals;
using text::istarts_with;

Kw lookup_keyword(std::string_view word) {
  if (word.size() > 16) return Kw::None;
  char buf[16];
  for (std::size_t i = 0; i < word.size(); ++i) buf[i] = text::to_upper(word[i]);
  const std::string_view up(buf, word.size());
  const auto it = std::lower_bound(kKeywords.begin(), kKeywords.end(), up,
                                   [](const KwEntry& e, std::string_view v) { return e.text < v; });
  return (it != kKeywords.end() && it->text == up) ? it->kw : Kw::None;
}

/// Maps characters that case-fold or compatibility-fold to ASCII letters (U+017F long s, U+0131
/// dotless i, U+0130 dotted I, U+212A Kelvin sign, fullwidth A–Z / a–z) to those letters. Returns
/// false when the word has other non-ASCII characters or is too long to be a keyword.
bool fold_to_ascii(std::string_view w, std::string& out) {
  out.clear();
  if (w.size() > 64) return false;
  for (std::size_t i = 0; i < w.size();) {
    const auto b0 = static_cast<unsigned char>(w[i]);
    const auto b = [&](std::size_t k) { return i + k < w.size() ? static_cast<unsigned char>(w[i + k]) : 0u; };
    if (b0 < 0x80) {
      out.push_back(static_cast<char>(b0));
      ++i;
    } else if (b0 == 0xC5 && b(1) == 0xBF) {
      out.push_back('s');
      i += 2;
    } else if (b0 == 0xC4 && (b(1) == 0xB1 || b(1) == 0xB0)) {
      out.push_back('i');
      i += 2;
    } else if (b0 == 0xE2 && b(1) == 0x84 && b(2) == 0xAA) {
      out.push_back('k');
      i += 3;
    } else if (b0 == 0xEF && b(1) == 0xBC && b(2) >= 0xA1 && b(2) <= 0xBA) {
      out.push_back(static_cast<char>('A' + (b(2) - 0xA1)));
      i += 3;
    } else if (b0 == 0xEF && b(1) == 0xBD && b(2) >= 0x81 && b(2) <= 0x9A) {
      out.push_back(static_cast<char>('a' + (b(2) - 0x81)));
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

bool is_main_kw(Kw k, bool tsql) {
  switch (k) {
    case Kw::Select: case Kw::Insert: case Kw::Update: case Kw::Delete: return true;
    case Kw::Merge: return tsql;
    case Kw::Values: case Kw::Replace: return !tsql;
    default: return false;
  }
}

/// T-SQL keywords that begin a statement (when not continuing the current one).
bool is_tsql_leading(Kw k) {
  switch (k) {
    case Kw::Select: case Kw::Insert: case Kw::Update: case Kw::Delete: case Kw::Merge: case Kw::With:
    case Kw::Create: case Kw::Alter: case Kw::Drop: case Kw::Truncate: case Kw::Exec: case Kw::Execute:
    case Kw::Begin: case Kw::Commit: case Kw::Rollback: case Kw::Save: case Kw::End: case Kw::Set:
    case Kw::Declare: case Kw::Use: case Kw::Open: case Kw::Close: case Kw::Deallocate: case Kw::Fetch:
    case Kw::Print: case Kw::Raiserror: case Kw::Throw: case Kw::Return: case Kw::Break:
    case Kw::Continue: case Kw::Goto: case Kw::While: case Kw::If: case Kw::Else: case Kw::Waitfor:
    case Kw::Kill: case Kw::Shutdown: case Kw::Reconfigure: case Kw::Checkpoint: case Kw::Dbcc:
    case Kw::Backup: case Kw::Restore: case Kw::Grant: case Kw::Revoke: case Kw::Deny:
    case Kw::Readtext: case Kw::Writetext: case Kw::Updatetext: case Kw::Setuser: case Kw::Revert:
    case Kw::Lineno: case Kw::Bulk: case Kw::Dump: case Kw::Load:
      return true;
    default:
      return false;
  }
}

/// Per-statement state while walking the tokens.
struct Stmt {
  std::size_t first = 0;  // index of the first token
  std::size_t count = 0;  // tokens so far
  Kw lead = Kw::None;
  bool lead_is_paren = false;
  bool lead_is_name = false;  // starts with a non-keyword word or quoted name
  Kw main = Kw::None;         // SELECT/INSERT/UPDATE/DELETE/MERGE (after WITH ...), VALUES/REPLACE (SQLite)
  bool insert_body = false;   // INSERT's SELECT/VALUES/EXEC/DEFAULT seen
  bool insert_with = false;   // SQLite INSERT ... WITH ...: its SELECT has not come yet
  bool pending_set = false;   // an UPDATE whose SET has not come yet
  bool exec_seen = false;
  bool output_seen = false;
  bool offset_seen = false;   // OFFSET at depth 0 (so ROWS FETCH continues it)
  bool is_trigger = false;    // SQLite CREATE [TEMP] TRIGGER
  bool trigger_body = false;  // inside its BEGIN ... END (';' does not end the statement)
  std::size_t case_depth = 0;  // open CASE at depth 0
  Kw last_kw = Kw::None;       // keyword of the previous token (None if not a keyword)
  Kw second_kw = Kw::None;     // keyword of the second token
  StatementInfo info;
};

class Classifier {
 public:
  Classifier(std::string_view sql, Dialect d) : s_(sql), tsql_(d == Dialect::TSql), dialect_(d) {}

  Classification run() {
    Classification out;
    if (s_.size() > kMaxStatementBytes) {
      out.error_rule = "too_long";
      out.error = "the statement is " + std::to_string(s_.size()) + " bytes; the limit is " +
                  std::to_string(kMaxStatementBytes) + " bytes. Send a shorter statement";
      return out;
    }
    LexResult lx = lex(s_, dialect_);
    if (!lx.error_rule.empty()) {
      out.error_rule = lx.error_rule;
      out.error = lx.error;
      return out;
    }
    toks_ = std::move(lx.tokens);
    kws_.resize(toks_.size(), Kw::None);
    std::string folded;
    for (std::size_t i = 0; i < toks_.size(); ++i) {
      if (toks_[i].kind != TokenKind::Word) continue;
      const std::string_view w = text(i);
      kws_[i] = lookup_keyword(w);
      // A keyword spelled with characters that fold to ASCII (INSERT with a dotless i, fullwidth
      // SELECT): an engine that folds case with Unicode rules would read the keyword.
      if (kws_[i] == Kw::None && w.size() <= 64 &&
          std::any_of(w.begin(), w.end(), [](char ch) { return static_cast<unsigned char>(ch) >= 0x80; }) &&
          fold_to_ascii(w, folded) && lookup_keyword(folded) != Kw::None) {
        out.error_rule = "lex_error";
        out.error = "cannot read the statement at byte " + std::to_string(toks_[i].begin) +
                    ": the word '" + std::string(w) + "' spells the keyword " + folded +
                    " with non-ASCII look-alike letters; write keywords in ASCII";
        return out;
      }
    }

    std::size_t depth = 0;
    Stmt st;
    for (std::size_t i = 0; i < toks_.size(); ++i) {
      const Token& t = toks_[i];
      if (t.kind == TokenKind::Semicolon) {
        if (depth != 0) return unbalanced(out, t.begin, "a ';' inside parentheses");
        if (st.trigger_body) {  // SQLite CREATE TRIGGER ... BEGIN stmt; stmt; END
          observe(st, i, depth);
          continue;
        }
        finish(st, out);
        st = Stmt{};
        continue;
      }
      if (depth == 0 && st.count > 0 && t.kind == TokenKind::Word && starts_statement(st, i)) {
        finish(st, out);
        st = Stmt{};
      }
      if (t.kind == TokenKind::LParen) {
        if (++depth > kMaxNestingDepth) {
          out.statements.clear();
          out.error_rule = "too_deep";
          out.error = "parentheses are nested more than " + std::to_string(kMaxNestingDepth) +
                      " deep; simplify the statement";
          return out;
        }
      } else if (t.kind == TokenKind::RParen) {
        if (depth == 0) return unbalanced(out, t.begin, "a ')' without a matching '('");
        --depth;
      }
      observe(st, i, depth);
    }
    if (depth != 0) return unbalanced(out, s_.size(), "a '(' that is never closed");
    finish(st, out);
    return out;
  }

 private:
  std::string_view text(std::size_t i) const { return s_.substr(toks_[i].begin, toks_[i].end - toks_[i].begin); }
  Kw kw(std::size_t i) const { return i < kws_.size() ? kws_[i] : Kw::None; }
  TokenKind kind(std::size_t i) const { return i < toks_.size() ? toks_[i].kind : TokenKind::Semicolon; }

  Classification& unbalanced(Classification& out, std::size_t at, const char* what) {
    out.statements.clear();
    out.error_rule = "unbalanced_parentheses";
    out.error = "cannot read the statement at byte " + std::to_string(at) + ": " + what +
                "; balance the parentheses";
    return out;
  }

  /// SQLite: does the reserved keyword at token i (depth 0, statement non-empty) begin a new
  /// statement? SQLite itself rejects `SELECT 1 DELETE FROM t`; splitting makes the refusal ours.
  bool sqlite_starts_statement(const Stmt& st, std::size_t i) const {
    const Kw k = kw(i);
    const Kw prev = st.last_kw;
    if (st.lead == Kw::Create || st.lead == Kw::Alter || st.lead == Kw::Drop) return false;  // triggers, DDL
    if (st.lead == Kw::Explain) return false;  // EXPLAIN [QUERY PLAN] <statement> is one statement
    const bool in_with_prefix = st.lead == Kw::With && st.main == Kw::None;
    switch (k) {
      case Kw::Select:
      case Kw::Values:
        if (prev == Kw::Union || prev == Kw::Except || prev == Kw::Intersect || prev == Kw::All) return false;
        if (k == Kw::Values && prev == Kw::Default) return false;
        if ((st.main == Kw::Insert || st.main == Kw::Replace) && (!st.insert_body || st.insert_with)) return false;
        return !in_with_prefix;
      case Kw::Insert:
      case Kw::Delete:
        return !in_with_prefix;
      case Kw::Update:
        return !(in_with_prefix || prev == Kw::Do);
      case Kw::Create:
      case Kw::Drop:
      case Kw::Alter:
        return true;
      default:
        return false;
    }
  }

  /// Does the keyword at token i (depth 0, statement non-empty) begin a new statement?
  bool starts_statement(const Stmt& st, std::size_t i) const {
    if (!tsql_) return sqlite_starts_statement(st, i);
    // GRANT/REVOKE/DENY list permissions named like statements (GRANT SELECT, INSERT ON t); they are
    // refused by every check, so keeping the rest in them is safe.
    if (st.lead == Kw::Grant || st.lead == Kw::Revoke || st.lead == Kw::Deny) return false;
    const Kw k = kw(i);
    const Kw prev = st.last_kw;
    const bool in_with_prefix = st.lead == Kw::With && st.main == Kw::None;
    switch (k) {
      case Kw::Select:
        if (prev == Kw::Union || prev == Kw::Except || prev == Kw::Intersect || prev == Kw::All) return false;
        if (st.main == Kw::Insert && !st.insert_body) return false;
        return !in_with_prefix;
      case Kw::Insert:
        if (prev == Kw::Bulk && st.count == 1) return false;
        [[fallthrough]];
      case Kw::Update:
      case Kw::Delete:
        if (in_with_prefix) return false;
        return !(st.main == Kw::Merge && prev == Kw::Then);
      case Kw::Merge:
        if (kw(i + 1) == Kw::Join || kw(i + 1) == Kw::Union) return false;  // join / union hint
        return !in_with_prefix;
      case Kw::Set:
        return !st.pending_set;
      case Kw::With:
        // Only a query or DML statement can be followed by a CTE statement; the WITH options of
        // other statements (ALTER LOGIN ... WITH PASSWORD, SHUTDOWN WITH NOWAIT) stay in them
        // (those statements are refused by every check anyway).
        if (st.main == Kw::None) return false;
        // table hints WITH (NOLOCK), OPENJSON ... WITH (...), TOP n WITH TIES, GROUP BY WITH ROLLUP/CUBE
        return !(kind(i + 1) == TokenKind::LParen || kw(i + 1) == Kw::Ties || kw(i + 1) == Kw::Rollup ||
                 kw(i + 1) == Kw::Cube || kw(i + 1) == Kw::Nowait);
      case Kw::Grant:
        return prev != Kw::With;  // WITH GRANT OPTION
      case Kw::Exec:
      case Kw::Execute:
        return !(st.main == Kw::Insert && !st.insert_body);
      case Kw::Fetch:
        return !(st.offset_seen && (prev == Kw::Rows || prev == Kw::Row));  // OFFSET n ROWS FETCH NEXT ...
      case Kw::Add:
        return kw(i + 1) == Kw::Signature || kw(i + 1) == Kw::Counter || kw(i + 1) == Kw::Sensitivity;
      case Kw::End:
      case Kw::Else:
        return st.case_depth == 0;
      case Kw::Enable:
      case Kw::Disable:
        return kw(i + 1) == Kw::Trigger;
      case Kw::Move:
      case Kw::Get:
        return kw(i + 1) == Kw::Conversation;
      case Kw::Send:
        return kw(i + 1) == Kw::On;
      case Kw::Receive:
        return kw(i + 1) == Kw::Top || kind(i + 1) == TokenKind::LParen ||
               (kind(i + 1) == TokenKind::Punct && text(i + 1) == "*");
      default:
        return is_tsql_leading(k);
    }
  }

  void add_danger(Stmt& st, const char* name) {
    auto& d = st.info.dangers;
    if (std::find(d.begin(), d.end(), name) == d.end()) d.emplace_back(name);
  }

  /// Name of a word or quoted identifier token (quotes removed), empty for other tokens.
  std::string name_at(std::size_t i) const {
    if (i >= toks_.size()) return {};
    if (toks_[i].kind == TokenKind::Word) return std::string(text(i));
    if (toks_[i].kind == TokenKind::QuotedIdent) return unquote_identifier(text(i), dialect_);
    return {};
  }

  /// A word, or the inside of a quoted name without undoing escapes. Good enough to compare with
  /// names made of letters, digits and '_' (a doubled quote character can never match those).
  std::string_view raw_name_at(std::size_t i) const {
    if (i >= toks_.size()) return {};
    if (toks_[i].kind == TokenKind::Word) return text(i);
    if (toks_[i].kind == TokenKind::QuotedIdent) {
      const std::string_view t = text(i);
      return t.size() >= 2 ? t.substr(1, t.size() - 2) : std::string_view{};
    }
    return {};
  }

  void observe(Stmt& st, std::size_t i, std::size_t depth) {
    const Token& t = toks_[i];
    const Kw k = kw(i);
    if (st.count == 0) {
      st.first = i;
      st.lead = k;
      st.lead_is_paren = t.kind == TokenKind::LParen;
      st.lead_is_name = (t.kind == TokenKind::Word && k == Kw::None) || t.kind == TokenKind::QuotedIdent;
      if (is_main_kw(k, tsql_)) st.main = k;
      if (k == Kw::With) st.info.with_cte = true;
      lead_dangers(st, i);
    } else {
      if (st.count == 1) st.second_kw = k;
      if (depth == 0 && st.lead == Kw::With && st.main == Kw::None && is_main_kw(k, tsql_)) {
        st.main = k;
      } else if (depth == 0 && (st.main == Kw::Insert || st.main == Kw::Replace) && !st.insert_body &&
                 (k == Kw::Select || k == Kw::Values || k == Kw::Exec || k == Kw::Execute ||
                  k == Kw::Default || (k == Kw::With && !tsql_))) {
        st.insert_body = true;
        st.insert_with = k == Kw::With;
        if (k == Kw::Exec || k == Kw::Execute) add_danger(st, "insert_exec");
      }
    }

    if (t.kind == TokenKind::Word) {
      if (depth == 0) {
        if (k == Kw::Update && (st.count == 0 || st.main == Kw::Update || st.last_kw == Kw::Then ||
                                st.last_kw == Kw::Do)) {
          st.pending_set = true;
        } else if (k == Kw::Set) {
          st.pending_set = false;
        } else if ((k == Kw::Select || k == Kw::Values) && st.insert_with && st.count > 0) {
          st.insert_with = false;
        } else if (k == Kw::Trigger && !tsql_ && st.lead == Kw::Create) {
          st.is_trigger = true;
        } else if (k == Kw::Begin && st.is_trigger) {
          st.trigger_body = true;
        } else if (k == Kw::End && st.case_depth == 0 && st.trigger_body) {
          st.trigger_body = false;
        } else if (k == Kw::Case) {
          ++st.case_depth;
        } else if (k == Kw::End && st.case_depth > 0) {
          --st.case_depth;
        } else if (k == Kw::Where && (st.main == Kw::Update || st.main == Kw::Delete)) {
          st.info.has_where = true;
        } else if (k == Kw::Offset) {
          st.offset_seen = true;
        } else if (k == Kw::Output && tsql_) {
          st.output_seen = true;
        } else if (k == Kw::Into && st.output_seen) {
          st.info.output_into = true;
        }
      } else if (k == Kw::Insert || k == Kw::Update || k == Kw::Delete ||
                 (k == Kw::Merge && kw(i + 1) != Kw::Join && kw(i + 1) != Kw::Union)) {
        st.info.nested_write = true;
      }
      if (k == Kw::Into) st.info.select_into = true;  // kept only when the statement is a query (finish)
      word_dangers(st, i, k);
    } else if (t.kind == TokenKind::QuotedIdent) {
      name_dangers(st, i);
    } else if (tsql_ && t.kind == TokenKind::Punct && text(i) == "{") {
      // ODBC escape {call proc} / {?= call proc}: a procedure call inside another statement
      const bool call = (kind(i + 1) == TokenKind::Word && iequals(text(i + 1), "call")) ||
                        (kind(i + 1) == TokenKind::Punct && text(i + 1) == "?");
      if (call) add_danger(st, "odbc_call");
    }

    st.last_kw = k;
    ++st.count;
    st.info.end = t.end;
  }

  /// Dangers decided by how a statement starts.
  void lead_dangers(Stmt& st, std::size_t i) {
    const Kw k = kw(i);
    switch (k) {
      case Kw::Shutdown: add_danger(st, "shutdown"); break;
      case Kw::Kill: if (tsql_) add_danger(st, "kill"); break;
      case Kw::Reconfigure: add_danger(st, "reconfigure"); break;
      case Kw::Dbcc: add_danger(st, "dbcc"); break;
      case Kw::Backup: add_danger(st, "backup"); break;
      case Kw::Restore: add_danger(st, "restore"); break;
      case Kw::Grant: add_danger(st, "grant"); break;
      case Kw::Revoke: add_danger(st, "revoke"); break;
      case Kw::Deny: add_danger(st, "deny"); break;
      case Kw::Attach: add_danger(st, "attach"); break;
      case Kw::Detach: add_danger(st, "detach"); break;
      case Kw::Bulk: if (kw(i + 1) == Kw::Insert) add_danger(st, "bulk_insert"); break;
      case Kw::Alter: if (kw(i + 1) == Kw::Login) add_danger(st, "alter_login"); break;
      case Kw::Create: if (kw(i + 1) == Kw::Login) add_danger(st, "create_login"); break;
      case Kw::Drop: if (kw(i + 1) == Kw::Login) add_danger(st, "drop_login"); break;
      case Kw::Pragma: pragma_dangers(st, i); break;
      default: break;
    }
  }

  /// SQLite PRAGMA: `PRAGMA x = v` and `PRAGMA x(v)` set values (except the listed reading
  /// pragmas that take a table or index name).
  void pragma_dangers(Stmt& st, std::size_t i) {
    std::size_t j = i + 1;
    std::string name;
    // [schema.]name
    while (j < toks_.size() && (toks_[j].kind == TokenKind::Word || toks_[j].kind == TokenKind::QuotedIdent)) {
      name = name_at(j);
      if (kind(j + 1) == TokenKind::Dot) {
        j += 2;
        continue;
      }
      ++j;
      break;
    }
    if (j >= toks_.size() || toks_[j].kind == TokenKind::Semicolon) return;
    static constexpr std::array<std::string_view, 10> kReading = {
        "table_info", "table_xinfo", "index_info", "index_xinfo", "index_list",
        "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check", "table_list"};
    const bool reading = std::any_of(kReading.begin(), kReading.end(),
                                     [&](std::string_view r) { return iequals(name, r); });
    if (toks_[j].kind == TokenKind::LParen && reading) return;
    add_danger(st, "pragma_assignment");
  }

  void word_dangers(Stmt& st, std::size_t i, Kw k) {
    switch (k) {
      case Kw::Openrowset: add_danger(st, "openrowset"); return;
      case Kw::Openquery: add_danger(st, "openquery"); return;
      case Kw::Opendatasource: add_danger(st, "opendatasource"); return;
      case Kw::Waitfor: add_danger(st, "waitfor"); return;
      case Kw::Shutdown: add_danger(st, "shutdown"); return;
      case Kw::Reconfigure: add_danger(st, "reconfigure"); return;
      case Kw::Updlock: case Kw::Xlock: case Kw::Holdlock: case Kw::Tablock: case Kw::Tablockx:
      case Kw::Paglock:
        if (tsql_) st.info.locking_hint = true;
        return;
      case Kw::Next:
        if (tsql_ && kw(i + 1) == Kw::Value && kw(i + 2) == Kw::For) st.info.sequence_advance = true;
        return;
      case Kw::Exec:
      case Kw::Execute: {
        st.exec_seen = true;
        const TokenKind nk = kind(i + 1);
        if (nk == TokenKind::LParen || nk == TokenKind::String) {
          add_danger(st, "dynamic_sql");
        } else if (nk == TokenKind::Variable && !(kind(i + 2) == TokenKind::Punct && text(i + 2) == "=")) {
          add_danger(st, "dynamic_sql");
        } else if (kw(i + 1) == Kw::As) {
          add_danger(st, "execute_as");
        }
        return;
      }
      case Kw::None:
        name_dangers(st, i);
        return;
      default:
        return;
    }
  }

  /// Procedure and function names that are dangerous (words or quoted names).
  void name_dangers(Stmt& st, std::size_t i) {
    const std::string_view name = raw_name_at(i);
    if (name.size() < 4) return;  // the shortest name below is "edit"
    switch (text::to_lower(name.front())) {  // most names start with none of these letters
      case 'e': case 'f': case 'l': case 'r': case 's': case 'w': case 'x': case 'z': break;
      default: return;
    }
    const bool call = kind(i + 1) == TokenKind::LParen;
    if (iequals(name, "sp_executesql")) {
      add_danger(st, "dynamic_sql");
    } else if (iequals(name, "sp_configure")) {
      add_danger(st, "sp_configure");
    } else if (istarts_with(name, "xp_") || istarts_with(name, "sp_oa")) {
      // extended procedures run only through EXEC (or as the first words of a batch)
      if (st.exec_seen || st.lead_is_name || call || (i > 0 && kind(i - 1) == TokenKind::Dot) ||
          iequals(name, "xp_cmdshell")) {
        add_danger(st, "xp_call");
      }
    } else if (call) {
      if (iequals(name, "load_extension")) add_danger(st, "load_extension");
      else if (iequals(name, "readfile")) add_danger(st, "readfile");
      else if (iequals(name, "writefile")) add_danger(st, "writefile");
      else if (iequals(name, "edit")) add_danger(st, "edit");
      else if (iequals(name, "fts3_tokenizer")) add_danger(st, "fts3_tokenizer");
      else if (iequals(name, "fsdir")) add_danger(st, "fsdir");
      else if (iequals(name, "zipfile")) add_danger(st, "zipfile");
      else if (iequals(name, "fn_get_audit_file") || iequals(name, "fn_xe_file_target_read_file") ||
               iequals(name, "fn_trace_gettable"))
        add_danger(st, "server_file_read");
    }
  }

  StatementKind kind_of(const Stmt& st) const {
    if (st.lead_is_paren) {
      for (std::size_t j = st.first; j < st.first + st.count; ++j) {
        if (toks_[j].kind == TokenKind::LParen) continue;
        const Kw k = kw(j);
        return (k == Kw::Select || k == Kw::With || k == Kw::Values) ? StatementKind::Select
                                                                     : StatementKind::Other;
      }
      return StatementKind::Other;
    }
    switch (st.lead) {
      case Kw::Select: case Kw::Values: return StatementKind::Select;
      case Kw::With:
        switch (st.main) {
          case Kw::Select: case Kw::Values: return StatementKind::Select;
          case Kw::Insert: case Kw::Replace: return StatementKind::Insert;
          case Kw::Update: return StatementKind::Update;
          case Kw::Delete: return StatementKind::Delete;
          case Kw::Merge: return StatementKind::Merge;
          default: return StatementKind::Other;
        }
      case Kw::Insert: return StatementKind::Insert;
      case Kw::Replace: return tsql_ ? StatementKind::Other : StatementKind::Insert;
      case Kw::Update: return st.second_kw == Kw::Statistics ? StatementKind::Other : StatementKind::Update;
      case Kw::Delete: return StatementKind::Delete;
      case Kw::Merge: return tsql_ ? StatementKind::Merge : StatementKind::Other;
      case Kw::Create: case Kw::Alter: case Kw::Drop: case Kw::Truncate: return StatementKind::Ddl;
      case Kw::Exec: case Kw::Execute: return tsql_ ? StatementKind::Exec : StatementKind::Other;
      case Kw::Begin:
        if (!tsql_) return StatementKind::Transaction;
        return (st.second_kw == Kw::Tran || st.second_kw == Kw::Transaction || st.second_kw == Kw::Distributed)
                   ? StatementKind::Transaction
                   : StatementKind::Other;
      case Kw::Commit: case Kw::Rollback: return StatementKind::Transaction;
      case Kw::Save: return tsql_ ? StatementKind::Transaction : StatementKind::Other;
      case Kw::Savepoint: case Kw::Release: return tsql_ ? StatementKind::Other : StatementKind::Transaction;
      case Kw::End: return tsql_ ? StatementKind::Other : StatementKind::Transaction;
      case Kw::Set: case Kw::Declare: case Kw::Use: return tsql_ ? StatementKind::Set : StatementKind::Other;
      case Kw::Pragma: return tsql_ ? StatementKind::Other : StatementKind::Pragma;
      case Kw::Attach: case Kw::Detach: return tsql_ ? StatementKind::Other : StatementKind::Attach;
      default:
        // A T-SQL batch that starts with a procedure name executes it.
        return (tsql_ && st.lead_is_name) ? StatementKind::Exec : StatementKind::Other;
    }
  }

  void finish(Stmt& st, Classification& out) {
    if (st.count == 0) return;
    StatementInfo info = std::move(st.info);
    info.begin = toks_[st.first].begin;
    info.kind = kind_of(st);
    if (info.kind != StatementKind::Update && info.kind != StatementKind::Delete) info.has_where = false;
    if (info.kind != StatementKind::Select) info.select_into = false;
    info.modifies_data = info.kind == StatementKind::Insert || info.kind == StatementKind::Update ||
                         info.kind == StatementKind::Delete || info.kind == StatementKind::Merge ||
                         info.select_into || info.output_into || info.nested_write;
    out.statements.push_back(std::move(info));
  }

  std::string_view s_;
  bool tsql_;
  Dialect dialect_;
  std::vector<Token> toks_;
  std::vector<Kw> kws_;
};

const char* kind_label(StatementKind k) { return to_string(k); }

std::string danger_advice(const std::string& d) {
  if (d == "dynamic_sql") return "dynamic SQL (EXEC of a string or variable, sp_executesql) is not allowed; write the statement itself";
  if (d == "xp_call") return "extended / OLE procedures (xp_*, sp_OA*) are not allowed";
  if (d == "openrowset" || d == "openquery" || d == "opendatasource")
    return d + " reaches outside the database and is not allowed; query local tables";
  if (d == "bulk_insert") return "BULK INSERT reads server files and is not allowed; use insert_data with VALUES";
  if (d == "waitfor") return "WAITFOR is not allowed; remove it";
  if (d == "insert_exec") return "INSERT ... EXEC runs a procedure and is not allowed; use INSERT ... VALUES or INSERT ... SELECT";
  if (d == "pragma_assignment") return "PRAGMA that sets a value is not allowed; read pragmas with SELECT * FROM pragma_<name>(...)";
  if (d == "load_extension" || d == "readfile" || d == "writefile" || d == "edit" || d == "fts3_tokenizer")
    return d + "() touches files or native code and is not allowed; remove it";
  if (d == "attach" || d == "detach") return "ATTACH / DETACH is not allowed; query the tables of the open database";
  return d + " is an administrative command and is not allowed through this tool";
}

Verdict refuse(std::string rule, std::string message, StatementKind kind = StatementKind::Other) {
  Verdict v;
  v.allowed = false;
  v.rule = std::move(rule);
  v.message = std::move(message);
  v.kind = kind;
  return v;
}

/// A statement whose first word is no SQL keyword (a typo such as `SELEC * FRM t`): says so, where
/// reading stopped and the nearest statement keyword, so a model fixes the typo instead of taking the
/// refusal for a write. SQLite: any unknown first word. T-SQL reads a leading name as a procedure call
/// (implicit EXEC), so only a word within two edits of a statement keyword counts there.
std::optional<std::string> unrecognised(std::string_view sql, Dialect dialect, const StatementInfo& info) {
  if (info.kind != StatementKind::Other && info.kind != StatementKind::Exec) return std::nullopt;
  const LexResult lx = lex(sql, dialect);
  const Token* first = nullptr;
  for (const Token& t : lx.tokens) {
    if (t.begin == info.begin) { first = &t; break; }
  }
  if (!first || first->kind != TokenKind::Word) return std::nullopt;
  const std::string_view word = sql.substr(first->begin, first->end - first->begin);
  if (lookup_keyword(word) != Kw::None) return std::nullopt;
  static constexpr std::array<std::string_view, 21> kLeading = {
      "SELECT", "WITH", "VALUES", "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "ALTER", "DROP", "EXEC",
      "EXECUTE", "BEGIN", "COMMIT", "ROLLBACK", "SET", "DECLARE", "PRAGMA", "EXPLAIN", "REPLACE", "TRUNCATE"};
  std::string_view nearest;
  std::size_t best = 3;
  for (auto k : kLeading) {
    const std::size_t d = text::edit_distance(word, k);
    if (d < best) { best = d; nearest = k; }
  }
  if (dialect == Dialect::TSql && (nearest.empty() || word.size() < 4)) return std::nullopt;
  std::string m = "the statement is not recognised as SQL: reading stopped at its first word '" +
                  std::string(word.substr(0, 64)) + "' (offset " + std::to_string(first->begin) +
                  "), which is not a statement keyword";
  m += nearest.empty() ? "; a query starts with SELECT or WITH" : "; did you mean " + std::string(nearest) + "?";
  return m;
}

/// Common checks: readable, not empty, one statement, nothing dangerous. On success returns an
/// allowed verdict and sets `info`.
Verdict single_statement(std::string_view sql, Dialect dialect, const char* tool, StatementInfo& info) {
  Classification c = classify(sql, dialect);
  if (!c.error_rule.empty()) return refuse(c.error_rule, c.error);
  if (c.statements.empty()) return refuse("empty", "the statement is empty (only whitespace, comments or ';'); send one SQL statement");
  if (c.statements.size() > 1) {
    std::string m = "send exactly one statement to " + std::string(tool) + "; found " +
                    std::to_string(c.statements.size()) + " (";
    for (std::size_t i = 0; i < c.statements.size() && i < 4; ++i) {
      if (i) m += ", ";
      m += kind_label(c.statements[i].kind);
    }
    if (c.statements.size() > 4) m += ", ...";
    m += ")";
    if (dialect == Dialect::TSql) m += "; in T-SQL a new keyword such as SELECT or DELETE starts a new statement even without ';'";
    return refuse("multiple_statements", m + ". Split them into separate calls", c.statements.front().kind);
  }
  info = std::move(c.statements.front());
  if (!info.dangers.empty()) {
    return refuse("dangerous_function:" + info.dangers.front(), danger_advice(info.dangers.front()), info.kind);
  }
  Verdict v;
  v.allowed = true;
  v.kind = info.kind;
  v.has_where = info.has_where;
  return v;
}

}  // namespace

const char* to_string(StatementKind k) noexcept {
  switch (k) {
    case StatementKind::Select: return "select";
    case StatementKind::Insert: return "insert";
    case StatementKind::Update: return "update";
    case StatementKind::Delete: return "delete";
    case StatementKind::Merge: return "merge";
    case StatementKind::Ddl: return "ddl";
    case StatementKind::Exec: return "exec";
    case StatementKind::Transaction: return "transaction";
    case StatementKind::Set: return "set";
    case StatementKind::Pragma: return "pragma";
    case StatementKind::Attach: return "attach";
    case StatementKind::Other: return "other";
  }
  return "other";
}

Classification classify(std::string_view sql, Dialect dialect) {
  try {
    return Classifier(sql, dialect).run();
  } catch (...) {  // only std::bad_alloc is possible; never let it cross the module boundary
    Classification c;
    c.error_rule = "too_long";
    c.error = "the statement could not be analysed (out of memory); send a shorter statement";
    return c;
  }
}

Verdict check_read(std::string_view sql, Dialect dialect) {
  try {
    StatementInfo info;
    Verdict v = single_statement(sql, dialect, "read_data", info);
    if (!v.allowed) return v;
    if (auto m = unrecognised(sql, dialect, info)) return refuse("unrecognised_statement", *m, info.kind);
    if (info.kind != StatementKind::Select) {
      std::string m = std::string("read_data runs only queries (SELECT, WITH ... SELECT); this is a ") +
                      to_string(info.kind) + " statement.";
      switch (info.kind) {
        case StatementKind::Insert: m += " Use insert_data to add rows"; break;
        case StatementKind::Update: case StatementKind::Delete: case StatementKind::Merge:
          m += " Use update_data to change or delete rows"; break;
        case StatementKind::Pragma:
          m += " Read pragmas as table-valued functions, e.g. SELECT * FROM pragma_table_info('t')"; break;
        case StatementKind::Transaction: m += " Transactions are managed by the server; remove BEGIN/COMMIT/ROLLBACK"; break;
        case StatementKind::Set: m += " Remove SET/DECLARE/USE; write a single SELECT"; break;
        case StatementKind::Exec: m += " Stored procedures cannot be run through read_data; write the SELECT itself"; break;
        default:
          m += " Write a single SELECT (to see a plan, send the SELECT to explain_query without EXPLAIN)";
          break;
      }
      return refuse("not_read_only", m, info.kind);
    }
    if (info.select_into) {
      return refuse("select_into", "SELECT ... INTO creates a table; remove INTO ... to just read the rows", info.kind);
    }
    if (info.modifies_data) {
      return refuse("not_read_only", "the query contains a write (INSERT/UPDATE/DELETE/MERGE); read_data only reads", info.kind);
    }
    if (info.sequence_advance) {
      return refuse("dangerous_function:next_value_for",
                    "NEXT VALUE FOR advances a sequence, which a rollback does not undo; read the "
                    "current value from sys.sequences instead", info.kind);
    }
    if (info.locking_hint) {
      return refuse("locking_hint", "remove the UPDLOCK/XLOCK/HOLDLOCK/TABLOCK/PAGLOCK hint; reads do not take update or exclusive locks", info.kind);
    }
    return v;
  } catch (...) {
    return refuse("too_long", "the statement could not be analysed (out of memory); send a shorter statement");
  }
}

Verdict check_insert(std::string_view sql, Dialect dialect) {
  try {
    StatementInfo info;
    Verdict v = single_statement(sql, dialect, "insert_data", info);
    if (!v.allowed) return v;
    if (auto m = unrecognised(sql, dialect, info)) return refuse("unrecognised_statement", *m, info.kind);
    if (info.kind != StatementKind::Insert) {
      std::string m = std::string("insert_data runs only INSERT statements; this is a ") + to_string(info.kind) + " statement.";
      if (info.kind == StatementKind::Select) m += " Use read_data to read";
      else if (info.kind == StatementKind::Update || info.kind == StatementKind::Delete || info.kind == StatementKind::Merge)
        m += " Use update_data to change or delete rows";
      return refuse("not_insert", m, info.kind);
    }
    if (info.output_into) {
      return refuse("output_into", "OUTPUT ... INTO writes a second table; remove INTO (plain OUTPUT returns the rows)", info.kind);
    }
    if (info.nested_write) {
      return refuse("nested_write", "the INSERT contains another write in parentheses (composable DML); insert from a plain SELECT or VALUES", info.kind);
    }
    return v;
  } catch (...) {
    return refuse("too_long", "the statement could not be analysed (out of memory); send a shorter statement");
  }
}

Verdict check_modify(std::string_view sql, Dialect dialect, bool allow_no_where, bool allow_merge) {
  try {
    StatementInfo info;
    Verdict v = single_statement(sql, dialect, "update_data", info);
    if (!v.allowed) return v;
    if (auto m = unrecognised(sql, dialect, info)) return refuse("unrecognised_statement", *m, info.kind);
    if (info.kind == StatementKind::Merge && !allow_merge) {
      return refuse("merge_not_allowed", "MERGE is disabled on this server; use separate UPDATE, DELETE and INSERT (insert_data) calls", info.kind);
    }
    if (info.kind != StatementKind::Update && info.kind != StatementKind::Delete && info.kind != StatementKind::Merge) {
      std::string m = std::string("update_data runs only UPDATE or DELETE statements; this is a ") + to_string(info.kind) + " statement.";
      if (info.kind == StatementKind::Insert) m += " Use insert_data to add rows";
      else if (info.kind == StatementKind::Select) m += " Use read_data to read";
      return refuse("not_update_or_delete", m, info.kind);
    }
    if (info.output_into) {
      return refuse("output_into", "OUTPUT ... INTO writes a second table; remove INTO (plain OUTPUT returns the rows)", info.kind);
    }
    if (info.nested_write) {
      return refuse("nested_write", "the statement contains another write in parentheses; change one table per call", info.kind);
    }
    if (info.kind != StatementKind::Merge && !info.has_where && !allow_no_where) {
      Verdict r = refuse("missing_where",
                         std::string(to_string(info.kind)) +
                             " without a top-level WHERE would change every row; add WHERE <condition> "
                             "(a WHERE inside a subquery does not count)",
                         info.kind);
      return r;
    }
    return v;
  } catch (...) {
    return refuse("too_long", "the statement could not be analysed (out of memory); send a shorter statement");
  }
}

}  // namespace azsql::sql
