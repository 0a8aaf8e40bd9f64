#!/usr/bin/env python3
"""Print the public surface of a crate from its rustdoc JSON, one sorted line
per public item path with its kind, counts at the top.

Usage: list.py target/doc/tencent_faceid.json > docs/public-api/after.txt
(`list.sh` builds the JSON and runs this.)

Lines:
  mod     tencent_faceid::callback
  struct  tencent_faceid::callback::CallbackVerifier
  fn      tencent_faceid::callback::CallbackVerifier::verify
  field   tencent_faceid::wire::Foo::bar
  variant tencent_faceid::callback::CallbackRejection::Expired
  impl    tencent_faceid::callback::CallbackVerifier: Clone
  use     tencent_faceid::FaceId = tencent_faceid::facade::FaceId
Items reachable only through a re-export are listed at the re-exported path;
blanket and auto-trait impls are left out (they follow from the rest).
A `#[deprecated]` item ends in ` (deprecated)`.
"""
import json
import sys
from collections import Counter

TYPE_KINDS = {"struct", "enum", "union", "type_alias"}


def main(path):
    with open(path) as f:
        doc = json.load(f)
    index = doc["index"]
    paths = doc["paths"]
    crate = index[str(doc["root"])]["name"]
    lines = set()
    seen = set()

    def item(i):
        return index.get(str(i))

    def kind_of(it):
        return next(iter(it["inner"]))

    def emit(kind, p, it=None):
        dep = " (deprecated)" if it is not None and it.get("deprecation") else ""
        lines.add((kind, p + dep))

    def full_path(i, fallback):
        s = paths.get(str(i))
        return "::".join(s["path"]) if s else fallback

    def walk_impls(owner, impls):
        for iid in impls:
            im = item(iid)
            if im is None:
                continue
            body = im["inner"]["impl"]
            if body.get("is_synthetic") or body.get("blanket_impl") is not None:
                continue
            tr = body.get("trait")
            if tr is None:
                for mid in body["items"]:
                    m = item(mid)
                    if m is None or m["visibility"] != "public":
                        continue
                    k = kind_of(m)
                    k = {"function": "fn", "assoc_const": "const", "assoc_type": "type"}.get(k, k)
                    emit(k, f"{owner}::{m['name']}", m)
            else:
                neg = "!" if body.get("is_negative") else ""
                emit("impl", f"{owner}: {neg}{full_path(tr['id'], tr['path'])}", im)

    where = {}
    pending_uses = []

    def walk(i, p):
        it = item(i)
        if it is None:
            return
        k = kind_of(it)
        inner = it["inner"][k]
        if k == "module":
            if i in seen:
                return
            seen.add(i)
            where[i] = p
            emit("mod", p, it)
            for c in inner["items"]:
                ci = item(c)
                if ci is None or ci["visibility"] != "public":
                    continue
                if kind_of(ci) == "use":
                    pending_uses.append((p, ci))
                elif ci.get("name"):
                    walk(c, f"{p}::{ci['name']}")
            return
        if i in seen:
            return
        seen.add(i)
        where[i] = p
        short = {"function": "fn", "constant": "const", "type_alias": "type",
                 "macro": "macro", "static": "static"}.get(k, k)
        emit(short, p, it)
        if k == "struct":
            sk = inner["kind"]
            fields = []
            if "plain" in sk:
                fields = sk["plain"]["fields"]
            elif "tuple" in sk:
                fields = [f for f in sk["tuple"] if f is not None]
            for fid in fields:
                fi = item(fid)
                if fi is not None and fi["visibility"] == "public":
                    emit("field", f"{p}::{fi['name']}", fi)
            walk_impls(p, inner["impls"])
        elif k in ("enum", "union"):
            for vid in inner.get("variants", []):
                v = item(vid)
                if v is not None:
                    emit("variant", f"{p}::{v['name']}", v)
            for fid in inner.get("fields", []):
                fi = item(fid)
                if fi is not None and fi["visibility"] == "public":
                    emit("field", f"{p}::{fi['name']}", fi)
            walk_impls(p, inner["impls"])
        elif k == "trait":
            for mid in inner["items"]:
                m = item(mid)
                if m is None:
                    continue
                mk = {"function": "trait-fn", "assoc_const": "trait-const",
                      "assoc_type": "trait-type"}.get(kind_of(m), kind_of(m))
                emit(mk, f"{p}::{m['name']}", m)

    def resolve_uses():
        # Deeper re-exports first: an item defined in a private module and
        # re-exported both by its public module and at the root is listed
        # at the module's path, and the root's re-export is a `use` line;
        # a `#[doc(no_inline)]` re-export is only ever a `use` line when the
        # item is listed elsewhere.
        def order(u):
            no_inline = "no_inline" in json.dumps(u[1].get("attrs", []))
            return (not no_inline, u[0].count("::"), u[0])

        while pending_uses:
            pending_uses.sort(key=order)
            p, u = pending_uses.pop()
            use = u["inner"]["use"]
            target = use.get("id")
            t = item(target) if target is not None else None
            if use.get("is_glob"):
                if t is not None and kind_of(t) == "module":
                    for c in t["inner"]["module"]["items"]:
                        ci = item(c)
                        if ci is not None and ci["visibility"] == "public" and ci.get("name"):
                            if kind_of(ci) == "use":
                                pending_uses.append((p, ci))
                            elif c in seen:
                                emit("use", f"{p}::{ci['name']} = {where[c]}", ci)
                            else:
                                walk(c, f"{p}::{ci['name']}")
                else:
                    emit("use", f"{p}::* = {use['source']}::*", u)
                continue
            at = f"{p}::{use['name']}"
            if t is None:
                # Another crate's item.
                emit("use", f"{at} = {full_path(target, use['source']) if target is not None else use['source']}", u)
            elif target in seen:
                emit("use", f"{at} = {where[target]}", u)
            else:
                walk(target, at)

    walk(doc["root"], crate)
    resolve_uses()
    out = sorted(lines, key=lambda l: (l[1], l[0]))
    counts = Counter(k for k, _ in out)
    types = sum(counts[k] for k in ("struct", "enum", "union", "type"))
    fns = counts["fn"] + counts["trait-fn"]
    top = sum(1 for k, p in out if k == "mod" and p.count("::") == 1)
    print(f"# public API of {crate} (all features), from rustdoc JSON by docs/public-api/list.py")
    print(f"# public modules: {counts['mod'] - 1} below the root ({top} top-level)")
    print(f"# public types: {types} (struct {counts['struct']}, enum {counts['enum']}, "
          f"type alias {counts['type']}), traits: {counts['trait']}")
    print(f"# public functions/methods: {fns} (free fn and inherent {counts['fn']}, trait {counts['trait-fn']})")
    print(f"# constants: {counts['const'] + counts['trait-const']}, fields: {counts['field']}, "
          f"variants: {counts['variant']}, re-exports: {counts['use']}, trait impls: {counts['impl']}")
    print(f"# lines: {len(out)}")
    for k, p in out:
        print(f"{k:<11} {p}")


if __name__ == "__main__":
    main(sys.argv[1])
