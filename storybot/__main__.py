from storybot.cli import main

raise SystemExit(main())
