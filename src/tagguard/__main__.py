from tagguard.cli import main

raise SystemExit(main())
