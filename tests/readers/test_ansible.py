"""Jinja2/Ansible templates of FRR/BIRD configs: rendered per host with Ansible's variables, located in the
template."""

import pytest

from podpath.readers import ansible

TEMPLATE = """frr defaults traditional
hostname {{ inventory_hostname }}
!
ip prefix-list PL-PODS seq 5 permit 10.244.0.0/16 le {{ pod_prefix_len }}
!
router bgp {{ asn }}
 bgp router-id {{ router_id }}
 no bgp ebgp-requires-policy
{% for n in nodes %}
 neighbor {{ n.ip }} remote-as {{ node_asn }}
{% endfor %}
 address-family ipv4 unicast
{% for n in nodes %}
  neighbor {{ n.ip }} prefix-list PL-PODS in
{% endfor %}
 exit-address-family
!
"""

FILES = {
    "ansible/inventory.ini": "[pve]\npve01 router_id=10.0.0.1\npve02 router_id=10.0.0.2\n\n[pve:vars]\nasn=65000\n",
    "ansible/site.yml": "- hosts: pve\n  roles:\n    - frr\n",
    "ansible/group_vars/all.yml": "node_asn: 65010\nnodes:\n  - {name: wk1, ip: 10.0.0.21}\n  - {name: wk2, ip: 10.0.0.22}\n",
    "ansible/host_vars/pve02.yml": "pod_prefix_len: 24\n",
    "ansible/roles/frr/defaults/main.yml": "pod_prefix_len: 16\n",
    "ansible/roles/frr/templates/frr-pve.conf.j2": TEMPLATE,
}


def _routers(snap):
    return {r.host: r for r in snap.routers}


def test_rendered_per_host_with_precedence(make_snapshot):
    snap = make_snapshot(FILES)
    rs = _routers(snap)
    assert set(rs) == {"pve01", "pve02"}
    assert not snap.diagnostics.errors
    pl1 = rs["pve01"].config.prefix_lists[(4, "PL-PODS")].entries[0]
    pl2 = rs["pve02"].config.prefix_lists[(4, "PL-PODS")].entries[0]
    assert (pl1.le, pl2.le) == (16, 24)  # host_vars beat role defaults
    assert pl1.loc.file == "ansible/roles/frr/templates/frr-pve.conf.j2" and pl1.loc.line == 4
    kinds = {f.path: f.kind for f in snap.files}
    assert kinds["ansible/inventory.ini"] == "ansible-inventory" and kinds["ansible/site.yml"] == "ansible-playbook"
    assert not [d for d in snap.diagnostics if d.loc.file == "ansible/site.yml"]


def test_loop_lines_map_to_the_template_line(make_snapshot):
    snap = make_snapshot(FILES)
    bgp = next(iter(_routers(snap)["pve01"].config.bgp.values()))
    assert sorted(bgp.neighbors) == ["10.0.0.21", "10.0.0.22"]
    assert {n.loc.line for n in bgp.neighbors.values()} == {10}  # both from the loop body's line
    assert bgp.loc.line == 6
    assert "{% for n in nodes %}" in snap.texts["ansible/roles/frr/templates/frr-pve.conf.j2"]  # as written


def test_undefined_variable_is_an_error_at_its_line(make_snapshot):
    files = dict(FILES)
    files["ansible/inventory.ini"] = "[pve]\npve01 router_id=10.0.0.1\npve02\n\n[pve:vars]\nasn=65000\n"
    snap = make_snapshot(files)
    errs = [d for d in snap.diagnostics.errors if "undefined" in d.message]
    assert len(errs) == 1 and errs[0].loc.line == 7 and "pve02" in errs[0].message
    assert set(_routers(snap)) == {"pve01"} and not snap.complete


def test_no_playbook_means_not_rendered(make_snapshot):
    files = {k: v for k, v in FILES.items() if k != "ansible/site.yml"}
    snap = make_snapshot(files)
    assert not snap.routers
    hit = [u for u in snap.unsupported if u.statement.startswith("template ")]
    assert hit and hit[0].affects_routes and "no playbook" in hit[0].why


def test_yaml_inventory_children_and_patterns():
    inv = ansible.Inventory()
    from podpath.diagnostics import Diagnostics

    ansible.read_inventory("all:\n  children:\n    hv:\n      children:\n        pve:\n          hosts:\n"
                           "            a: {x: 1}\n            b:\n    other:\n      hosts:\n        c:\n",
                           "inventory.yml", inv, Diagnostics())
    inv.expand()
    assert inv.groups["hv"] == {"a", "b"} and inv.group_names("a") == ["hv", "pve"]
    assert ansible.match_hosts("hv:!b", inv) == {"a"}
    assert ansible.match_hosts("all:&other", inv) == {"c"}
    assert inv.hosts["a"] == {"x": 1}


def test_marker_mapping_through_loops_and_conditionals():
    text = "a\n{% if x %}\nb {{ x }}\n{% endif %}\n{% for i in l %}\nc{{ i }}\n{% endfor %}\nd\n"
    out, origin = ansible.render(text, {"x": 1, "l": [1, 2]})
    assert out.splitlines() == ["a", "b 1", "c1", "c2", "d"]
    assert origin[:5] == [1, 3, 6, 6, 8]


@pytest.mark.parametrize("body, what", [
    ("{{ x | frobnicate }}", "frobnicate"),
    ("{{ ''.__class__.__mro__ }}", "sandbox"),
    ("{{ lookup('file', '/etc/passwd') }}", "lookup"),
    ("{% if %}", "syntax"),
])
def test_refused_templates(body, what):
    with pytest.raises(ansible.TemplateError) as exc:
        ansible.render("ok\n" + body + "\n", {"x": 1})
    assert what in exc.value.message.lower() or what in str(exc.value).lower()
    assert exc.value.line == 2


def test_ipaddr_filter():
    assert ansible._ipaddr("10.0.0.5/24", "network") == "10.0.0.0"
    assert ansible._ipaddr("10.0.0.5/24", "prefix") == 24
    assert ansible._ipaddr("fd00::1/64", "address") == "fd00::1"
    assert ansible._ipaddr(["10.0.0.1", "fd00::1"], "ipv6") == ["fd00::1"]
