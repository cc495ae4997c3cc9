from hookdebate.cli import main

raise SystemExit(main())
