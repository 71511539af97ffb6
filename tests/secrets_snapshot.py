"""A small snapshot with a distinct marker in every secret-bearing field podpath reads,
plus files whose secret-bearing line has a syntax error (so a diagnostic quotes it).
Shared by tests/test_secrets.py and tests/lab/test_lab_secrets.py."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path

# field -> marker. Each marker appears once in the snapshot, in that field only.
MARKERS = {
    "frr-neighbor-password": "Pp7frrBgpPw",
    "frr-neighbor-password-two-words": "Pp7frrTwo Pp7words",
    "frr-vty-password": "Pp7frrVtyPw",
    "frr-enable-password": "Pp7frrEnablePw",
    "frr-key-string": "Pp7frrKeyString",
    "frr-ospf-authentication-key": "Pp7frrOspfKey",
    "frr-ospf-message-digest-key": "Pp7frrOspfMd5",
    "frr-error-unknown-neighbor": "Pp7frrErrNoPeer",
    "frr-error-bad-address": "Pp7frrErrBadAddr",
    "bird-bgp-password": "Pp7birdBgpPw",
    "bird-define-password": "Pp7birdDefinePw",
    "bird-ospf-password-block": "Pp7birdOspfPw",
    "bird-bfd-password": "Pp7birdBfdPw",
    "bird-error-junk-after": "Pp7birdErrJunk",
    "bird-error-unterminated": "Pp7birdErrUnterminated",
    "k8s-secret-stringdata": "Pp7k8sStringData",
    "k8s-secret-data-decoded": "Pp7k8sDataPlain",
    "cilium-authsecretref-secret": "Pp7ciliumBgpAuth",
    "k8s-error-invalid-yaml": "Pp7k8sErrYaml",
    "helm-hubble-tls-cert": "Pp7helmHubbleCert",
    "helm-hubble-tls-key-block": "Pp7helmHubbleKey",
    "helm-clustermesh-tls-key-flow": "Pp7helmMeshKey",
    "helm-error-invalid-yaml": "Pp7helmErrYaml",
    "keepalived-auth-pass": "Pp7keepalivedPw",
    "keepalived-error-auth-pass": "Pp7keepalivedErr",
}
ENCODED = {  # base64 forms, as they stand in a Secret's `data`
    "k8s-secret-data": base64.b64encode(MARKERS["k8s-secret-data-decoded"].encode()).decode(),
    "cilium-authsecretref-secret": base64.b64encode(MARKERS["cilium-authsecretref-secret"].encode()).decode(),
}
M = MARKERS

FILES = {
    "podpath.yaml": """
        versions: {cilium: 1.18.6}
        hosts:
          r1: {interfaces: {eth0: {addresses: ["fd00:1::1/64"], segment: lan}}}
          n1: {interfaces: {eth0: {addresses: ["fd00:1::2/64"], segment: lan}}}
        segments:
          lan: {prefixes: ["fd00:1::/64"]}
        """,
    "frr/r1.conf": f"""
        frr version 8.4.4
        frr defaults traditional
        hostname r1
        password {M['frr-vty-password']}
        enable password {M['frr-enable-password']}
        key chain KC
         key 1
          key-string {M['frr-key-string']}
         exit
        exit
        interface eth0
         ip ospf authentication-key {M['frr-ospf-authentication-key']}
         ip ospf message-digest-key 1 md5 {M['frr-ospf-message-digest-key']}
        exit
        ipv6 route fd00:99::/64 blackhole
        router bgp 65001
         bgp router-id 10.0.0.1
         no bgp ebgp-requires-policy
         neighbor fd00:1::2 remote-as 65002
         neighbor fd00:1::2 password {M['frr-neighbor-password']}
         neighbor fd00:1::3 remote-as 65003
         neighbor fd00:1::3 password {M['frr-neighbor-password-two-words']}
         neighbor fd00:1::99 password {M['frr-error-unknown-neighbor']}
         neighbor fd00:1:::4 password {M['frr-error-bad-address']}
         address-family ipv6 unicast
          network fd00:99::/64
          neighbor fd00:1::2 activate
         exit-address-family
        exit
        """,
    "bird/n1.conf": f"""
        router id 10.0.0.2;
        define PW = "{M['bird-define-password']}";
        protocol device {{}}
        protocol bgp r1 {{
          local as 65002;
          neighbor fd00:1::1 as 65001;
          password "{M['bird-bgp-password']}";
          ipv6 {{ import all; export all; }};
        }}
        protocol bgp r1b {{
          local as 65002;
          neighbor fd00:1::5 as 65001;
          password PW;
          ipv6 {{ import all; export all; }};
        }}
        protocol ospf v2 o1 {{
          area 0 {{
            interface "eth0" {{
              authentication cryptographic;
              password "{M['bird-ospf-password-block']}" {{ id 1; algorithm hmac sha256; }};
            }};
          }};
        }}
        protocol bfd {{
          interface "eth0" {{ authentication keyed md5; password "{M['bird-bfd-password']}"; }};
        }}
        """,
    "bird/n1-junk.conf": f"""
        router id 10.0.0.3;
        protocol bgp x {{
          local as 65002;
          neighbor fd00:1::1 as 65001;
          password "{M['bird-error-junk-after']}" junk;
          ipv6 {{ import all; export all; }};
        }}
        """,
    "bird/n1-unterminated.conf": f"""
        router id 10.0.0.4;
        protocol bgp y {{
          local as 65002;
          neighbor fd00:1::1 as 65001;
          password "{M['bird-error-unterminated']};
          ipv6 {{ import all; export all; }};
        }}
        """,
    "kubernetes/bgp.yaml": f"""
        apiVersion: v1
        kind: Secret
        metadata: {{name: bgp-auth, namespace: kube-system}}
        type: Opaque
        data:
          password: {ENCODED['cilium-authsecretref-secret']}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {{name: other, namespace: kube-system}}
        stringData:
          token: {M['k8s-secret-stringdata']}
        data:
          blob: {ENCODED['k8s-secret-data']}
        ---
        apiVersion: cilium.io/v2
        kind: CiliumBGPPeerConfig
        metadata: {{name: peer}}
        spec:
          authSecretRef: bgp-auth
          transport: {{peerPort: 179}}
        """,
    "kubernetes/broken-secret.yaml": f"""
        apiVersion: v1
        kind: Secret
        metadata: {{name: broken}}
        stringData:
          password: {M['k8s-error-invalid-yaml']}: oops
        """,
    "cilium/values.yaml": f"""
        routingMode: native
        ipv6NativeRoutingCIDR: fd00::/16
        hubble:
          tls:
            server:
              cert: {M['helm-hubble-tls-cert']}
              key: |
                -----BEGIN PRIVATE KEY-----
                {M['helm-hubble-tls-key-block']}
                -----END PRIVATE KEY-----
        clustermesh:
          apiserver:
            tls:
              server: {{key: {M['helm-clustermesh-tls-key-flow']}}}
        """,
    "cilium/broken-values.yaml": f"""
        routingMode: native
        hubble:
          relay:
            tls:
              client:
                key: {M['helm-error-invalid-yaml']}: [oops
        """,
    "keepalived/r1.conf": f"""
        vrrp_instance VI_1 {{
            state MASTER
            interface eth0
            virtual_router_id 51
            priority 100
            virtual_ipaddress {{
                fd00:1::fffe/64
            }}
            authentication {{
                auth_type PASS
                auth_pass {M['keepalived-auth-pass']}
            }}
        }}
        """,
    "keepalived/n1.conf": f"""
        vrrp_instance VI_2 {{
            state BACKUP
            interface eth0
            virtual_router_id 52
            priority 90
            authentication {{
                auth_type PASS
                auth_pass {M['keepalived-error-auth-pass']} }} }} }}
        """,
}


def write_snapshot(root: Path, files: dict[str, str] = FILES) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip())
    return root


def leaked(text: str) -> list[str]:
    """Every marker (or its base64 form, or one word of it) found in `text`."""
    found = []
    for field, marker in MARKERS.items():
        for part in marker.split():
            if part in text:
                found.append(f"{field}: {part}")
    found += [f"{field} (base64)" for field, enc in ENCODED.items() if enc in text]
    return found
