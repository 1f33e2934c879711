#!/usr/bin/env python3
"""mksas.py ENDPOINT ACCOUNT KEY: prints an account SAS URL (blob service,
every resource type, read/write/delete/list/add/create/update/process,
http or https, valid until 2035) for ENDPOINT, e.g. an Azurite account
URL. For test configs that rclone 1.60 must read too: it takes an Azure
endpoint only from a SAS URL. Standard library only."""
import base64
import hashlib
import hmac
import sys
import urllib.parse


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: mksas.py ENDPOINT ACCOUNT KEY")
    endpoint, account, key = sys.argv[1], sys.argv[2], base64.b64decode(sys.argv[3])
    f = {"sv": "2021-12-02", "ss": "b", "srt": "sco", "sp": "rwdlacup",
         "se": "2035-01-01T00:00:00Z", "spr": "https,http"}
    # Account SAS string to sign (versions 2020-12-06 and later): the
    # empty fields are the start, the IP range and the encryption scope.
    sts = "\n".join([account, f["sp"], f["ss"], f["srt"], "", f["se"], "", f["spr"],
                     f["sv"], ""]) + "\n"
    f["sig"] = base64.b64encode(hmac.new(key, sts.encode(), hashlib.sha256).digest()).decode()
    print(endpoint + "?" + urllib.parse.urlencode(f))


if __name__ == "__main__":
    main()
