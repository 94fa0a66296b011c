import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatHttpDate, parseHttpDate } from "./http-date.js";

const at = (iso: string): number => Date.parse(iso);

describe("HTTP dates", () => {
  test("the three forms of RFC 9110 name the same moment", () => {
    const now = at("2026-11-20T00:00:00Z");
    assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", now), at("1994-11-06T08:49:37Z"));
    assert.equal(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", now), at("1994-11-06T08:49:37Z"));
    assert.equal(parseHttpDate("Sun Nov  6 08:49:37 1994", now), at("1994-11-06T08:49:37Z"));
    assert.equal(parseHttpDate("Thu Nov 26 08:49:37 2026", now), at("2026-11-26T08:49:37Z"));
  });

  test("a two-digit year is the nearest one not more than 50 years ahead", () => {
    const now = at("2026-11-20T00:00:00Z");
    assert.equal(parseHttpDate("Friday, 01-Jan-30 00:00:00 GMT", now), at("2030-01-01T00:00:00Z"));
    assert.equal(parseHttpDate("Friday, 01-Jan-99 00:00:00 GMT", now), at("1999-01-01T00:00:00Z"));
  });

  test("what Portage sends parses back to its TIMESTAMP plus 5 s", () => {
    // portage.util._urlopen.timestamp_to_http: email.utils.formatdate(..., usegmt=True).
    assert.equal(parseHttpDate("Fri, 20 Nov 2026 00:00:05 GMT"), at("2026-11-20T00:00:05Z"));
    assert.equal(parseHttpDate(formatHttpDate(at("2026-11-20T00:00:05.900Z"))), at("2026-11-20T00:00:05Z"));
  });

  test("anything else is no date: bare years, local times, ISO, impossible days, lower case", () => {
    for (const text of [
      "2030",
      "Fri, 31 Dec 9999",
      "2026-11-20T00:00:00Z",
      "Fri, 20 Nov 2026 00:00:05 +0100",
      "Fri, 20 Nov 2026 00:00:05 UTC",
      "fri, 20 Nov 2026 00:00:05 GMT",
      "Fri, 31 Feb 2026 00:00:05 GMT",
      "Fri, 20 Nov 2026 24:00:00 GMT",
      "Fri, 20 Nov 2026 00:60:00 GMT",
      " Fri, 20 Nov 2026 00:00:05 GMT",
      "Fri,  20 Nov 2026 00:00:05 GMT",
      "",
      "x".repeat(10_000),
    ]) {
      assert.equal(parseHttpDate(text), null, text.slice(0, 40));
    }
  });

  test("a leap second is the last second of its minute", () => {
    assert.equal(parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT"), at("2016-12-31T23:59:59Z"));
  });
});
