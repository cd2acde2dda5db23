"""offline_archive: an http_archive whose tarball is already on disk.

tools/bazel fetches source tarballs from Debian's archive into
third_party/downloads/ (git ignores them); this rule checks the sha256 and
extracts one, and says how to get it when it is missing.
"""

def _offline_archive_impl(ctx):
    downloads = ctx.path(Label("//third_party/downloads:BUILD")).dirname
    archive = downloads.get_child(ctx.attr.archive)
    if not archive.exists:
        fail("%s is missing: run tools/bazel, which fetches it from Debian's archive" % archive)
    ctx.download_and_extract(
        url = "file://%s" % archive,
        sha256 = ctx.attr.sha256,
        stripPrefix = ctx.attr.strip_prefix,
    )

offline_archive = repository_rule(
    implementation = _offline_archive_impl,
    attrs = {
        "archive": attr.string(mandatory = True, doc = "file name in third_party/downloads"),
        "sha256": attr.string(mandatory = True),
        "strip_prefix": attr.string(),
    },
)
