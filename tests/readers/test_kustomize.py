"""Kustomize builds in-process: overlays, patches, namespaces; every value at the file:line it came from."""

BASE_K = """
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - helmrelease.yaml
  - service.yaml
"""

BASE_HR = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cilium
spec:
  chart:
    spec:
      chart: cilium
      version: 1.16.5
  values:
    routingMode: tunnel
    ipv4NativeRoutingCIDR: 10.0.0.0/8
"""

SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: 10.96.0.10
  ports:
    - port: 80
      targetPort: 8080
    - port: 443
      targetPort: 8443
"""

OVERLAY_K = """
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: prod
commonLabels:
  env: prod
resources:
  - ../../base
patches:
  - path: values.yaml
  - target:
      kind: HelmRelease
    patch: |
      - op: replace
        path: /spec/values/routingMode
        value: native
patchesStrategicMerge:
  - service-patch.yaml
"""

VALUES_PATCH = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cilium
spec:
  values:
    ipv4NativeRoutingCIDR: 10.244.0.0/16
"""

SERVICE_PATCH = """
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 443
      targetPort: 9443
"""


def _files(**extra: str) -> dict[str, str]:
    files = {"base/kustomization.yaml": BASE_K, "base/helmrelease.yaml": BASE_HR, "base/service.yaml": SERVICE,
             "overlays/prod/kustomization.yaml": OVERLAY_K, "overlays/prod/values.yaml": VALUES_PATCH,
             "overlays/prod/service-patch.yaml": SERVICE_PATCH}
    files.update(extra)
    return files


def test_overlay_patches_apply_with_locations(make_snapshot):
    snap = make_snapshot(_files())
    cidr = snap.cilium.get("ipv4-native-routing-cidr")
    assert cidr.value == "10.244.0.0/16" and (cidr.loc.file, cidr.loc.line) == ("overlays/prod/values.yaml", 7)
    rm = snap.cilium.get("routing-mode")
    assert rm.value == "native" and rm.loc.file == "overlays/prod/kustomization.yaml"
    assert not any("not the Cilium chart" in u.why for u in snap.unsupported)  # the patch is not read alone
    svc = next(s for s in snap.cluster.services if s.name == "web")
    assert svc.namespace == "prod"


def test_strategic_merge_list_by_port(make_snapshot):
    from podpath.diagnostics import Diagnostics
    from podpath.readers import kustomize
    from podpath.readers.yamlsrc import load_documents
    import textwrap

    d = Diagnostics()
    docs = {f: [x.data for x in load_documents(textwrap.dedent(t).lstrip(), f, d)]
            for f, t in _files().items()}
    ks = [kustomize.Kustomization(f, docs[f][0]) for f in docs if f.endswith("kustomization.yaml")]
    b = kustomize.Builder(ks, docs, set(docs), d)
    [root] = b.roots()
    out = b.build(root)
    svc = next(o for o, _ in out.objects if o["kind"] == "Service")
    ports = {p["port"]: p["targetPort"] for p in svc["spec"]["ports"]}
    assert ports == {80: 8080, 443: 9443}  # merged by port, not replaced
    assert svc["metadata"]["labels"]["env"] == "prod"
    assert out.consumed >= {"base/helmrelease.yaml", "overlays/prod/values.yaml", "overlays/prod/service-patch.yaml"}


def test_two_overlays_of_one_base_are_not_built(make_snapshot):
    snap = make_snapshot(_files(**{"overlays/dev/kustomization.yaml": OVERLAY_K.replace("prod", "dev"),
                                   "overlays/dev/values.yaml": VALUES_PATCH,
                                   "overlays/dev/service-patch.yaml": SERVICE_PATCH}))
    hits = [u for u in snap.unsupported if u.statement.startswith("kustomization overlays/")]
    assert len(hits) == 2 and all(u.affects_routes for u in hits) and not snap.complete
    assert snap.cilium.get("ipv4-native-routing-cidr").value == "10.0.0.0/8"  # the base as written


def test_remote_and_missing_resources_are_unsupported(make_snapshot):
    k = OVERLAY_K.replace("  - ../../base", "  - ../../base\n  - https://github.com/x/y//deploy?ref=v1\n  - gone.yaml")
    snap = make_snapshot(_files(**{"overlays/prod/kustomization.yaml": k}))
    what = {u.statement: u for u in snap.unsupported}
    assert what["kustomization resource https://github.com/x/y//deploy?ref=v1"].affects_routes
    assert "not in the snapshot" in what["kustomization resource gone.yaml"].why


def test_patch_selecting_nothing_is_reported(make_snapshot):
    bad = VALUES_PATCH.replace("name: cilium", "name: cilum")
    snap = make_snapshot(_files(**{"overlays/prod/values.yaml": bad}))
    assert any("patch selects no object" in d.message and d.loc.file == "overlays/prod/kustomization.yaml"
               for d in snap.diagnostics)


def test_delete_patch_removes_object(make_snapshot):
    delete = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n$patch: delete\n"
    snap = make_snapshot(_files(**{"overlays/prod/service-patch.yaml": delete}))
    assert not any(s.name == "web" for s in snap.cluster.services)
