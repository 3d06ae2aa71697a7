"""Denmark's 98 municipalities (since 2007), as the benchmarks' directories name them, and the
demo directory topped up with them."""

from pathlib import Path

import yaml

from bench.common import ROOT

MUNICIPALITIES = (
    "Albertslund Kommune", "Allerød Kommune", "Assens Kommune", "Ballerup Kommune",
    "Billund Kommune", "Bornholms Regionskommune", "Brøndby Kommune", "Brønderslev Kommune",
    "Dragør Kommune", "Egedal Kommune", "Esbjerg Kommune", "Fanø Kommune", "Favrskov Kommune",
    "Faxe Kommune", "Fredensborg Kommune", "Fredericia Kommune", "Frederiksberg Kommune",
    "Frederikshavn Kommune", "Frederikssund Kommune", "Furesø Kommune",
    "Faaborg-Midtfyn Kommune", "Gentofte Kommune", "Gladsaxe Kommune", "Glostrup Kommune",
    "Greve Kommune", "Gribskov Kommune", "Guldborgsund Kommune", "Haderslev Kommune",
    "Halsnæs Kommune", "Hedensted Kommune", "Helsingør Kommune", "Herlev Kommune",
    "Herning Kommune", "Hillerød Kommune", "Hjørring Kommune", "Holbæk Kommune",
    "Holstebro Kommune", "Horsens Kommune", "Hvidovre Kommune", "Høje-Taastrup Kommune",
    "Hørsholm Kommune", "Ikast-Brande Kommune", "Ishøj Kommune", "Jammerbugt Kommune",
    "Kalundborg Kommune", "Kerteminde Kommune", "Kolding Kommune", "Københavns Kommune",
    "Køge Kommune", "Langeland Kommune", "Lejre Kommune", "Lemvig Kommune", "Lolland Kommune",
    "Lyngby-Taarbæk Kommune", "Læsø Kommune", "Mariagerfjord Kommune", "Middelfart Kommune",
    "Morsø Kommune", "Norddjurs Kommune", "Nordfyns Kommune", "Nyborg Kommune",
    "Næstved Kommune", "Odder Kommune", "Odense Kommune", "Odsherred Kommune",
    "Randers Kommune", "Rebild Kommune", "Ringkøbing-Skjern Kommune", "Ringsted Kommune",
    "Roskilde Kommune", "Rudersdal Kommune", "Rødovre Kommune", "Samsø Kommune",
    "Silkeborg Kommune", "Skanderborg Kommune", "Skive Kommune", "Slagelse Kommune",
    "Solrød Kommune", "Sorø Kommune", "Stevns Kommune", "Struer Kommune", "Svendborg Kommune",
    "Syddjurs Kommune", "Sønderborg Kommune", "Thisted Kommune", "Tønder Kommune",
    "Tårnby Kommune", "Vallensbæk Kommune", "Varde Kommune", "Vejen Kommune", "Vejle Kommune",
    "Vesthimmerland Kommune", "Viborg Kommune", "Vordingborg Kommune", "Ærø Kommune",
    "Aabenraa Kommune", "Aalborg Kommune", "Aarhus Kommune",
)  # fmt: skip

assert len(MUNICIPALITIES) == 98  # noqa: S101 - a data check at import


def write_directory(path: Path, count: int) -> dict[str, list[str]]:
    """The demo directory, topped up to `count` contact-centre municipalities (real names,
    generated contacts) with two contacts each, written to `path`; each contact-centre
    municipality's contacts' phones, primary first."""
    data = yaml.safe_load((ROOT / "data" / "ddh_directory.yaml").read_text(encoding="utf-8"))
    orgs = {o["name"]: o for o in data["organisations"]}
    have = [o["id"] for o in data["organisations"] if o.get("contact_centre")]
    names = [name for name in MUNICIPALITIES if not orgs.get(name, {}).get("contact_centre")]
    for n, name in enumerate(names[: max(0, count - len(have))]):
        org = orgs.get(name)
        if org is None:
            org = {"id": f"bench-{n}", "name": name, "kind": "municipality", "ddh_member": True}
            data["organisations"].append(org)
        org["contact_centre"] = True
        ids = []
        for rank in range(2):
            pid = f"bench-{n}-{rank}"
            data["people"].append(
                {
                    "id": pid,
                    "name": f"Kontakt {n}-{rank}",
                    "phone": f"+45509{n:02d}{rank:03d}",
                    "org": org["id"],
                }
            )
            ids.append(pid)
        data["municipality_contacts"][org["id"]] = ids
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    phones = {p["id"]: p["phone"] for p in data["people"]}
    centres = {o["id"] for o in data["organisations"] if o.get("contact_centre")}
    return {
        org: [phones[pid] for pid in ids]
        for org, ids in data["municipality_contacts"].items()
        if org in centres
    }
