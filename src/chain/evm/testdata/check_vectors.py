#!/usr/bin/env python3
"""Independent cross-check of tests/vectors/{evm_tx,eip191_personal_sign,eip712}.json with
eth-account (pip install eth-account==0.14.0 eth-abi==6.0.0). Not run by the tests; run by hand:
    python3 src/chain/evm/testdata/check_vectors.py tests/vectors
"""
import json
import sys

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data, _hash_eip191_message
from eth_utils import keccak, to_checksum_address

d = sys.argv[1] if len(sys.argv) > 1 else "tests/vectors"
h = lambda s: bytes.fromhex(s[2:] if s.startswith("0x") else s)
fails = 0


def check(cond, what):
    global fails
    if not cond:
        fails += 1
        print("MISMATCH", what)


for c in json.load(open(f"{d}/evm_tx.json")):
    f = c["fields"]
    tx = {"chainId": f["chain_id"], "nonce": f["nonce"], "gas": int(f["gas_limit"]),
          "to": f["to"] or b"", "value": int(f["value"]), "data": f["data"]}
    if f["type"] == 0:
        tx["gasPrice"] = int(f["gas_price"])
    else:
        tx["type"] = 2
        tx["maxPriorityFeePerGas"] = int(f["max_priority_fee_per_gas"])
        tx["maxFeePerGas"] = int(f["max_fee_per_gas"])
        tx["accessList"] = [{"address": e["address"], "storageKeys": e["storageKeys"]}
                            for e in f["access_list"]]
    s = Account.sign_transaction(tx, h(c["private_key"]))
    check(s.raw_transaction.hex().removeprefix("0x") == c["signed_raw_tx"][2:], c["id"] + " raw")
    check(keccak(s.raw_transaction).hex().removeprefix("0x") == c["tx_hash"][2:], c["id"] + " hash")
    check(s.v == c["v"] and s.r == int(c["r"], 16) and s.s == int(c["s"], 16), c["id"] + " vrs")
    check(keccak(h(c["signing_payload"])) == h(c["signing_hash"]), c["id"] + " signing hash")
    check(Account.recover_transaction(s.raw_transaction) == c["sender"], c["id"] + " sender")
    print("evm_tx", c["id"], "ok")

for c in json.load(open(f"{d}/eip191_personal_sign.json")):
    msg = encode_defunct(primitive=h(c["message_hex"]))
    check(_hash_eip191_message(msg) == h(c["hash"]), c["id"] + " hash")
    sig = Account.sign_message(msg, h(c["private_key"])).signature
    check(sig == h(c["signature"]), c["id"] + " signature")
    check(Account.recover_message(msg, signature=sig) == c["address"], c["id"] + " address")
    print("eip191", c["id"], "ok")

for c in json.load(open(f"{d}/eip712.json")):
    msg = encode_typed_data(full_message=c["typed_data"])
    check(msg.header == h(c["domain_separator"]), c["id"] + " domain separator")
    check(msg.body == h(c["struct_hash"]), c["id"] + " struct hash")
    check(keccak(b"\x19\x01" + msg.header + msg.body) == h(c["hash"]), c["id"] + " digest")
    check(keccak(c["encode_type"].encode()) == h(c["type_hash"]), c["id"] + " type hash")
    sig = Account.sign_message(msg, h(c["private_key"])).signature
    check(sig == h(c["signature"]), c["id"] + " signature")
    check(to_checksum_address(Account.from_key(h(c["private_key"])).address) == c["address"],
          c["id"] + " address")
    print("eip712", c["id"], "ok")

print("FAILED" if fails else "all vectors agree", fails)
sys.exit(1 if fails else 0)
