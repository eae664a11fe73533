"""Merging duplicate institutions or people into one survivor, in one transaction.

Everything that pointed at a duplicate moves to the survivor; the duplicate's name becomes
an alias of the survivor, so later imports of that name resolve to it.
"""

from django.db import transaction

from archive.models import (
    Appearance,
    Institution,
    InstitutionAlias,
    Person,
    PersonAlias,
    Quote,
    Release,
)

ReleaseInstitution = Release.institutions.through


def institution_impact(duplicate: Institution) -> dict[str, int]:
    """What a merge would move from `duplicate`, for the confirmation page."""
    return {
        "releases": ReleaseInstitution.objects.filter(institution=duplicate).count(),
        "statements": duplicate.quotes.count(),
        "appearances": duplicate.appearances.count(),
        "aliases": duplicate.aliases.count(),
        "branches": duplicate.branches.count(),
    }


def person_impact(duplicate: Person) -> dict[str, int]:
    return {
        "releases": duplicate.appearances.count(),
        "statements": duplicate.quotes.count(),
        "aliases": duplicate.aliases.count(),
    }


def _keep_name_as_alias(alias_model, owner_field: str, survivor, name: str, slug: str) -> None:
    """The duplicate's name resolves to the survivor in later imports, and its address
    leads to the survivor's page."""
    taken = alias_model.objects.filter(name__lower=name.lower())
    if taken.exists():
        taken.filter(slug=None).update(slug=slug)
    else:
        alias_model.objects.create(**{owner_field: survivor}, name=name, slug=slug)


@transaction.atomic
def merge_institutions(survivor: Institution, duplicates) -> list[str]:
    merged = []
    for duplicate in duplicates:
        if duplicate.pk == survivor.pk:
            continue
        already = ReleaseInstitution.objects.filter(institution=survivor).values("release_id")
        links = ReleaseInstitution.objects.filter(institution=duplicate)
        links.exclude(release_id__in=already).update(institution=survivor)
        links.delete()  # releases that named both already link to the survivor
        Quote.objects.filter(institution=duplicate).update(institution=survivor)
        Appearance.objects.filter(affiliation=duplicate).update(affiliation=survivor)
        InstitutionAlias.objects.filter(institution=duplicate).update(institution=survivor)
        Institution.objects.filter(parent=duplicate).exclude(pk=survivor.pk).update(parent=survivor)
        if survivor.parent_id == duplicate.pk:
            survivor.parent_id = duplicate.parent_id if duplicate.parent_id != survivor.pk else None
            survivor.save(update_fields=["parent"])
        name, slug = duplicate.name, duplicate.slug
        duplicate.delete()
        _keep_name_as_alias(InstitutionAlias, "institution", survivor, name, slug)
        merged.append(name)
    return merged


@transaction.atomic
def merge_people(survivor: Person, duplicates) -> list[str]:
    merged = []
    for duplicate in duplicates:
        if duplicate.pk == survivor.pk:
            continue
        Quote.objects.filter(person=duplicate).update(person=survivor)
        already = Appearance.objects.filter(person=survivor).values("release_id")
        appearances = Appearance.objects.filter(person=duplicate)
        appearances.exclude(release_id__in=already).update(person=survivor)
        appearances.delete()  # releases where both appear keep the survivor's appearance
        PersonAlias.objects.filter(person=duplicate).update(person=survivor)
        name, slug = duplicate.name, duplicate.slug
        duplicate.delete()
        _keep_name_as_alias(PersonAlias, "person", survivor, name, slug)
        merged.append(name)
    return merged
