// tests/reports/report_check.cpp — see report_check.h.
#include "tests/reports/report_check.h"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <zlib.h>

#include <cstdint>
#include <memory>

namespace am::reports::test {
namespace {

struct SchemaParserFree { void operator()(xmlSchemaParserCtxt* p) const { xmlSchemaFreeParserCtxt(p); } };
struct SchemaFree { void operator()(xmlSchema* s) const { xmlSchemaFree(s); } };
struct ValidFree { void operator()(xmlSchemaValidCtxt* v) const { xmlSchemaFreeValidCtxt(v); } };
struct DocFree { void operator()(xmlDoc* d) const { xmlFreeDoc(d); } };

void collect(void* ctx, const xmlError* e) {
  auto* out = static_cast<std::string*>(ctx);
  *out += "line " + std::to_string(e->line) + ": " + (e->message ? e->message : "?");
}

std::unique_ptr<xmlDoc, DocFree> parse(const std::string& xml, std::string* errors) {
  xmlSetStructuredErrorFunc(errors, reinterpret_cast<xmlStructuredErrorFunc>(collect));
  std::unique_ptr<xmlDoc, DocFree> doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "report.xml", nullptr,
                                                     XML_PARSE_NONET));
  xmlSetStructuredErrorFunc(nullptr, nullptr);
  return doc;
}

void walk(xmlNode* n, const std::string& name, std::vector<std::string>& out) {
  for (; n; n = n->next) {
    if (n->type == XML_ELEMENT_NODE && name == reinterpret_cast<const char*>(n->name)) {
      xmlChar* t = xmlNodeGetContent(n);
      out.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
      xmlFree(t);
    }
    walk(n->children, name, out);
  }
}

}  // namespace

std::string schemaDir() { return AM_DMARC_REPORT_SCHEMA_DIR; }

std::string validate(const std::string& xml, const std::string& xsd) {
  std::string errors;
  std::unique_ptr<xmlSchemaParserCtxt, SchemaParserFree> pctx(xmlSchemaNewParserCtxt(xsd.c_str()));
  if (!pctx) return "cannot read " + xsd;
  std::unique_ptr<xmlSchema, SchemaFree> schema(xmlSchemaParse(pctx.get()));
  if (!schema) return "cannot parse " + xsd;
  std::unique_ptr<xmlSchemaValidCtxt, ValidFree> vctx(xmlSchemaNewValidCtxt(schema.get()));
  auto doc = parse(xml, &errors);
  if (!doc) return "not well-formed: " + errors;
  xmlSchemaSetValidStructuredErrors(vctx.get(), reinterpret_cast<xmlStructuredErrorFunc>(collect), &errors);
  int rc = xmlSchemaValidateDoc(vctx.get(), doc.get());
  if (rc != 0 && errors.empty()) errors = "invalid (" + std::to_string(rc) + ")";
  return rc == 0 ? "" : errors;
}

std::string decodeBase64(const std::string& b64) {
  static const std::string t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : b64) {
    auto i = t.find(c);
    if (i == std::string::npos) continue;
    acc = (acc << 6) | static_cast<uint32_t>(i);
    if ((bits += 6) >= 8) out += static_cast<char>((acc >> (bits -= 8)) & 0xff);
  }
  return out;
}

std::string gunzip(const std::string& gz, bool* ok) {
  z_stream z{};
  if (ok) *ok = false;
  if (inflateInit2(&z, 15 + 16) != Z_OK) return "";
  std::string out;
  char buf[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  if (ok) *ok = rc == Z_STREAM_END;
  return rc == Z_STREAM_END ? out : "";
}

std::vector<std::string> texts(const std::string& xml, const std::string& name) {
  std::string errors;
  std::vector<std::string> out;
  auto doc = parse(xml, &errors);
  if (doc) walk(xmlDocGetRootElement(doc.get()), name, out);
  return out;
}

unsigned long long totalCount(const std::string& xml) {
  unsigned long long n = 0;
  for (auto& t : texts(xml, "count")) n += std::stoull(t);
  return n;
}

}  // namespace am::reports::test
