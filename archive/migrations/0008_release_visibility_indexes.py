"""Indexes for the public pages at scale: the few hidden releases, so that counts can
subtract theirs, and the visible releases in the public order, read from the index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("archive", "0007_link_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="release",
            index=models.Index(condition=models.Q(("hidden", True)), fields=["id"],
                               name="release_hidden_idx"),
        ),
        migrations.AddIndex(
            model_name="release",
            index=models.Index(condition=models.Q(("hidden", False)), fields=["-published", "-id"],
                               name="release_visible_idx"),
        ),
    ]
