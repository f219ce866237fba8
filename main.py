"""cdk8s app entry: render every environment in environments/ into dist/ (or $CDK8S_OUTDIR).

`cdk8s synth` and `python main.py` produce the same files as `guestbook synth`, with the
same render cache.
"""

import os
from pathlib import Path

from guestbook import warm

if __name__ == "__main__":
    # Node starts while the overlays' models load (see guestbook.warm); then the render.
    warm.start_early(Path("environments"), ["main.py"])

    from guestbook.environments import load_environments
    from guestbook.errors import user_errors
    from guestbook.render import synth
    from guestbook.render_cache import RenderCache
    from guestbook.settings import load_argocd_settings, load_synth_settings

    with user_errors():
        synth(
            load_environments(Path("environments")),
            Path(os.environ.get("CDK8S_OUTDIR", "dist")),
            settings=load_argocd_settings(Path("pyproject.toml")),
            cache=RenderCache.for_project(),
            jobs=load_synth_settings(Path("pyproject.toml")).effective_jobs(),
        )
        warm.remember()
