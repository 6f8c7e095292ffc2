# gonix lib: a small table of common licenses (lib.licenses), same
# attribute names and fields as nixpkgs for the ones listed.
{ lib }:
let
  mk = name: attrs:
    { shortName = name; free = true; redistributable = attrs.free or true; deprecated = false; licenseType = "simple"; }
    // (if attrs ? spdxId then { url = "https://spdx.org/licenses/${attrs.spdxId}.html"; } else { })
    // attrs;
in
builtins.mapAttrs mk {
  agpl3Only = { spdxId = "AGPL-3.0-only"; fullName = "GNU Affero General Public License v3.0 only"; };
  agpl3Plus = { spdxId = "AGPL-3.0-or-later"; fullName = "GNU Affero General Public License v3.0 or later"; };
  asl20 = { spdxId = "Apache-2.0"; fullName = "Apache License 2.0"; };
  bsd2 = { spdxId = "BSD-2-Clause"; fullName = ''BSD 2-clause "Simplified" License''; };
  bsd3 = { spdxId = "BSD-3-Clause"; fullName = ''BSD 3-clause "New" or "Revised" License''; };
  cc0 = { spdxId = "CC0-1.0"; fullName = "Creative Commons Zero v1.0 Universal"; };
  gpl2Only = { spdxId = "GPL-2.0-only"; fullName = "GNU General Public License v2.0 only"; };
  gpl2Plus = { spdxId = "GPL-2.0-or-later"; fullName = "GNU General Public License v2.0 or later"; };
  gpl3Only = { spdxId = "GPL-3.0-only"; fullName = "GNU General Public License v3.0 only"; };
  gpl3Plus = { spdxId = "GPL-3.0-or-later"; fullName = "GNU General Public License v3.0 or later"; };
  isc = { spdxId = "ISC"; fullName = "ISC License"; };
  lgpl21Only = { spdxId = "LGPL-2.1-only"; fullName = "GNU Lesser General Public License v2.1 only"; };
  lgpl21Plus = { spdxId = "LGPL-2.1-or-later"; fullName = "GNU Lesser General Public License v2.1 or later"; };
  lgpl3Only = { spdxId = "LGPL-3.0-only"; fullName = "GNU Lesser General Public License v3.0 only"; };
  lgpl3Plus = { spdxId = "LGPL-3.0-or-later"; fullName = "GNU Lesser General Public License v3.0 or later"; };
  mit = { spdxId = "MIT"; fullName = "MIT License"; };
  mpl20 = { spdxId = "MPL-2.0"; fullName = "Mozilla Public License 2.0"; };
  openssl = { spdxId = "OpenSSL"; fullName = "OpenSSL License"; };
  publicDomain = { fullName = "Public Domain"; };
  unfree = { fullName = "Unfree"; free = false; redistributable = false; };
  unfreeRedistributable = { fullName = "Unfree redistributable"; free = false; redistributable = true; };
  zlib = { spdxId = "Zlib"; fullName = "zlib License"; };
}
