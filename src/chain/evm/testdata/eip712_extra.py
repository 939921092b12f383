#!/usr/bin/env python3
"""Generates eip712_extra.json: EIP-712 cases beyond the published vectors (arrays of structs,
nested and fixed arrays, negative intN, bytesN, bool, bytes, salt, derived EIP712Domain).

Every expected value is computed twice and must agree:
  1. spec_hash(): a from-the-spec implementation in this file (encodeType / encodeData /
     hashStruct exactly as written in EIP-712, using only eth_utils.keccak);
  2. eth-account 0.14.0 encode_typed_data(full_message=...) (header = domain separator,
     body = struct hash) and Account.sign_message for the signature.
Run by hand (pip install eth-account==0.14.0), never by the tests:
    python3 src/chain/evm/testdata/eip712_extra.py > src/chain/evm/testdata/eip712_extra.json
"""
import copy
import json
import re
import sys

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

KEY = bytes.fromhex("4646464646464646464646464646464646464646464646464646464646464646")
DOMAIN_ORDER = [("name", "string"), ("version", "string"), ("chainId", "uint256"),
                ("verifyingContract", "address"), ("salt", "bytes32")]


def deps(types, t, found):
    for f in types[t]:
        base = re.sub(r"\[\d*\]", "", f["type"])
        if base in types and base not in found:
            found.add(base)
            deps(types, base, found)
    return found


def encode_type(types, t):
    rest = sorted(deps(types, t, set()) - {t})
    return "".join(f"{n}(" + ",".join(f"{f['type']} {f['name']}" for f in types[n]) + ")"
                   for n in [t] + rest)


def to_int(v):
    if isinstance(v, int):
        return v
    neg = v.startswith("-")
    s = v[1:] if neg else v
    x = int(s, 16) if s.startswith("0x") else int(s)
    return -x if neg else x


def enc_value(types, t, v):
    m = re.match(r"^(.*)\[(\d*)\]$", t)
    if m:
        inner, k = m.group(1), m.group(2)
        assert k == "" or int(k) == len(v)
        return keccak(b"".join(enc_value(types, inner, e) for e in v))
    if t in types:
        return keccak(encode_data(types, t, v))
    if t == "string":
        return keccak(v.encode())
    if t == "bytes":
        return keccak(bytes.fromhex(v[2:]))
    if t == "bool":
        return (1 if v else 0).to_bytes(32, "big")
    if t == "address":
        return bytes(12) + bytes.fromhex(v[2:])
    if t.startswith("bytes"):
        b = bytes.fromhex(v[2:])
        assert len(b) == int(t[5:])
        return b + bytes(32 - len(b))
    m = re.match(r"^(u?)int(\d+)$", t)
    bits, x = int(m.group(2)), to_int(v)
    if m.group(1):
        assert 0 <= x < 2**bits
    else:
        assert -(2 ** (bits - 1)) <= x < 2 ** (bits - 1)
    return (x % 2**256).to_bytes(32, "big")


def ints_as_python(types, t, v):
    """eth-account parses numeric strings as decimal only: hand it Python ints instead."""
    m = re.match(r"^(.*)\[(\d*)\]$", t)
    if m:
        return [ints_as_python(types, m.group(1), e) for e in v]
    if t in types:
        return {f["name"]: ints_as_python(types, f["type"], v[f["name"]]) for f in types[t]}
    return to_int(v) if re.match(r"^u?int\d+$", t) else v


def encode_data(types, t, v):
    return keccak(encode_type(types, t).encode()) + b"".join(
        enc_value(types, f["type"], v[f["name"]]) for f in types[t])


def spec_hash(td):
    types = copy.deepcopy(td["types"])
    if "EIP712Domain" not in types:
        types["EIP712Domain"] = [{"name": n, "type": t} for n, t in DOMAIN_ORDER if n in td["domain"]]
    dom = keccak(encode_data(types, "EIP712Domain", td["domain"]))
    st = keccak(encode_data(types, td["primaryType"], td["message"]))
    et = encode_type(types, td["primaryType"])
    return et, keccak(et.encode()), dom, st, keccak(b"\x19\x01" + dom + st)


P = lambda n: {"name": n[0], "type": n[1]}
DOMAIN_TYPE = [P(x) for x in DOMAIN_ORDER[:4]]
NEOX_DOMAIN = {"name": "nsl test", "version": "2", "chainId": 47763,
               "verifyingContract": "0xdE41591ED1f8ED1484aC2CD8ca0876428de60EfF"}

CASES = [
    ("arrays-of-structs", {  # the eth_signTypedData_v4 Mail/Person[] shape
        "types": {"EIP712Domain": DOMAIN_TYPE,
                  "Mail": [P(("from", "Person")), P(("to", "Person[]")), P(("contents", "string"))],
                  "Person": [P(("name", "string")), P(("wallets", "address[]"))]},
        "primaryType": "Mail",
        "domain": {"name": "Ether Mail", "version": "1", "chainId": 1,
                   "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
        "message": {
            "from": {"name": "Cow", "wallets": ["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826",
                                                "0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF"]},
            "to": [{"name": "Bob", "wallets": ["0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB",
                                               "0xB0BdaBea57B0BDABeA57b0bdABEA57b0BDabEa57",
                                               "0xB0B0b0b0b0b0B000000000000000000000000000"]}],
            "contents": "Hello, Bob!"}}),
    ("nested-arrays", {
        "types": {"EIP712Domain": DOMAIN_TYPE,
                  "Grid": [P(("rows", "uint8[2][]")), P(("cells", "int256[][]")),
                           P(("pair", "bytes32[2]")), P(("flags", "bool[]")),
                           P(("tags", "string[]")), P(("blobs", "bytes[]")),
                           P(("empty", "uint16[]"))]},
        "primaryType": "Grid",
        "domain": NEOX_DOMAIN,
        "message": {"rows": [[1, 2], [255, 0], ["3", "0x04"]],
                    "cells": [[-1, "-57896044618658097711785492504343953926634992332820282019728792003956564819968"],
                              [], ["57896044618658097711785492504343953926634992332820282019728792003956564819967"]],
                    "pair": ["0x" + "11" * 32, "0x" + "00" * 31 + "ff"],
                    "flags": [True, False, True],
                    "tags": ["", "a", "ユニコード"],
                    "blobs": ["0x", "0xdeadbeef"],
                    "empty": []}}),
    ("arrays-of-arrays-of-structs", {
        "types": {"EIP712Domain": DOMAIN_TYPE,
                  "Point": [P(("x", "int32")), P(("y", "int32"))],
                  "Shape": [P(("name", "string")), P(("polys", "Point[][]")),
                            P(("tri", "Point[3]")), P(("style", "Style"))],
                  "Style": [P(("color", "bytes3")), P(("width", "uint8")), P(("dashed", "bool"))]},
        "primaryType": "Shape",
        "domain": NEOX_DOMAIN,
        "message": {"name": "poly",
                    "polys": [[{"x": 0, "y": 0}, {"x": -2147483648, "y": 2147483647}], []],
                    "tri": [{"x": 1, "y": -1}, {"x": "-0x10", "y": "0x10"}, {"x": -7, "y": 7}],
                    "style": {"color": "0xff8800", "width": 3, "dashed": False}}}),
    ("integer-edges-salt-domain", {
        "types": {"EIP712Domain": [P(x) for x in DOMAIN_ORDER],
                  "Edges": [P(("u8", "uint8")), P(("i8min", "int8")), P(("i8max", "int8")),
                            P(("u256max", "uint256")), P(("i256min", "int256")),
                            P(("i64", "int64")), P(("u160", "uint160")), P(("b1", "bytes1"))]},
        "primaryType": "Edges",
        "domain": {"name": "edges", "version": "1", "chainId": "0xba93",
                   "verifyingContract": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
                   "salt": "0x" + "5a" * 32},
        "message": {"u8": 255, "i8min": -128, "i8max": 127,
                    "u256max": "115792089237316195423570985008687907853269984665640564039457584007913129639935",
                    "i256min": "-57896044618658097711785492504343953926634992332820282019728792003956564819968",
                    "i64": -9223372036854775808, "u160": "0xffffffffffffffffffffffffffffffffffffffff",
                    "b1": "0x00"}}),
    ("derived-domain-no-eip712domain-type", {
        "types": {"Ping": [P(("id", "uint64")), P(("note", "string"))]},
        "primaryType": "Ping",
        "domain": {"name": "derived", "chainId": 12227332},
        "message": {"id": 42, "note": "no EIP712Domain entry in types"}}),
]

out = []
for cid, td in CASES:
    et, th, dom, st, dg = spec_hash(td)
    full = copy.deepcopy(td)
    if "EIP712Domain" not in full["types"]:
        full["types"]["EIP712Domain"] = [P(x) for x in DOMAIN_ORDER if x[0] in td["domain"]]
    full["message"] = ints_as_python(full["types"], td["primaryType"], td["message"])
    full["domain"] = ints_as_python(full["types"], "EIP712Domain", td["domain"])
    msg = encode_typed_data(full_message=full)
    if (msg.header, msg.body) != (dom, st):
        sys.exit(f"{cid}: eth-account and the spec implementation disagree")
    sig = Account.sign_message(msg, KEY).signature
    out.append({"id": cid, "source": "src/chain/evm/testdata/eip712_extra.py (own spec code + "
                "eth-account 0.14.0 agree)", "private_key": KEY.hex(),
                "address": to_checksum_address(Account.from_key(KEY).address),
                "typed_data": td, "encode_type": et, "type_hash": "0x" + th.hex(),
                "domain_separator": "0x" + dom.hex(), "struct_hash": "0x" + st.hex(),
                "hash": "0x" + dg.hex(), "signature": "0x" + sig.hex().removeprefix("0x")})
print(json.dumps(out, indent=2, ensure_ascii=False))
