"""The "Editor" group: curators who change archive records, but not users or groups."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITABLE = ["release", "institution", "institutionalias", "person", "personalias",
            "appearance", "quote", "topic"]


def create_permissions_now(apps):
    # Permissions are normally created after all migrations; a migration granting them
    # needs them at once.
    app_config = apps.get_app_config("archive")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None


def create_group(apps, schema_editor):
    create_permissions_now(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [f"{action}_{model}" for model in EDITABLE
                 for action in ("add", "change", "delete", "view")] + ["view_document"]
    group, _ = Group.objects.get_or_create(name="Editor")
    group.permissions.set(Permission.objects.filter(
        content_type__app_label="archive", codename__in=codenames))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Editor").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0003_topics"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
