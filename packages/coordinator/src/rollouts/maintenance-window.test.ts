import assert from "node:assert/strict";
import { test } from "node:test";
import { WindowSyntaxError, parseMaintenanceWindow } from "./maintenance-window.js";

const at = (iso: string): Date => new Date(iso);

test("an empty window is always open", () => {
  assert.equal(parseMaintenanceWindow("").isOpen(at("2026-11-25T12:00:00Z")), true);
});

test("daily and weekday windows, start inclusive, end exclusive, in UTC", () => {
  const w = parseMaintenanceWindow("02:00-06:00");
  assert.equal(w.isOpen(at("2026-11-25T02:00:00Z")), true);
  assert.equal(w.isOpen(at("2026-11-25T05:59:00Z")), true);
  assert.equal(w.isOpen(at("2026-11-25T06:00:00Z")), false);
  const sat = parseMaintenanceWindow("Sat,Sun 02:00-06:00");
  assert.equal(sat.isOpen(at("2026-11-28T03:00:00Z")), true, "Saturday");
  assert.equal(sat.isOpen(at("2026-11-29T03:00:00Z")), true, "Sunday");
  assert.equal(sat.isOpen(at("2026-11-27T03:00:00Z")), false, "Friday");
});

test("a window past midnight belongs to the day it starts on", () => {
  const w = parseMaintenanceWindow("Sat 22:00-02:00");
  assert.equal(w.isOpen(at("2026-11-28T23:00:00Z")), true, "Saturday night");
  assert.equal(w.isOpen(at("2026-11-29T01:00:00Z")), true, "early Sunday");
  assert.equal(w.isOpen(at("2026-11-29T23:00:00Z")), false, "Sunday night");
  assert.equal(w.isOpen(at("2026-11-28T01:00:00Z")), false, "early Saturday belongs to Friday");
});

test("bad windows are refused with the expected syntax", () => {
  for (const bad of ["someday", "25:00-01:00", "02:00-02:00", "Xyz 01:00-02:00", "2:00-6:00", "Sat02:00-03:00"]) {
    assert.throws(() => parseMaintenanceWindow(bad), WindowSyntaxError, bad);
  }
});
